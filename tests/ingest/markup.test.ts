// The one-pass markup helpers and the Markdown pieces against what they replace: the same text, on the inputs the
// old regular expressions and the single parse handled.
import { describe, expect, it } from 'vitest';
import { extractMarkdown } from '../../src/ingest/formats/markdown.js';
import { lineDepth, markdownPieces } from '../../src/ingest/formats/markdown-scan.js';
import { headless, stripComments, stripTags } from '../../src/ingest/formats/tags.js';

describe('markup read in one pass', () => {
  it("strips tags, comments and a fragment's head as the regular expressions did, on the cases they handled", () => {
    expect(stripTags('a<b>c</b>d<e')).toBe('a c d<e');
    expect(stripComments('a<!-- x -->b<!-- open')).toBe('a b<!-- open');
    expect(headless('<!doctype html><html><head><meta charset="utf-8"><title>T</title></head><p>Body</p></html>')).toEqual({ title: 'T', body: '<p>Body</p>' });
    expect(headless('<TITLE>Snippet</title><link rel="x"><p>Text')).toEqual({ title: 'Snippet', body: '<p>Text' });
    // Inside Markdown: raw HTML's words, an unclosed comment and 200,000 `<` without `>` read in one pass.
    expect(extractMarkdown(`<div>Words <!-- hidden --> kept</div>\n\n${'<'.repeat(200_000)}`).text.startsWith('Words kept')).toBe(true);
  });
});

describe('Markdown in pieces', () => {
  it("counts a line's quotes and list markers, and a level for every two columns of indent", () => {
    expect(lineDepth('plain text')).toBe(0);
    expect(lineDepth('> > - 1. item')).toBe(6);
    expect(lineDepth('      - nested item')).toBe(4);
    expect(lineDepth('-not a marker')).toBe(0);
    expect(lineDepth('>'.repeat(1000))).toBe(1000);
  });

  it('cuts a long document between blocks, never inside a fence, and gives each piece the link definitions', () => {
    const fence = '```\ncode line\n\nstill code\n```';
    const source = ['# Title', 'See [the guide][g].', fence, 'A paragraph.', '[g]: https://example.org/guide'].join('\n\n');
    const pieces = markdownPieces(source, 256, 10);
    expect(pieces.some((p) => p.includes('code line') && !p.includes('still code'))).toBe(false);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((p) => p.includes('[g]: https://example.org/guide'))).toBe(true);
  });

  it('reads a document of many pieces as one: the same text, sections and title', () => {
    const paragraphs = Array.from({ length: 4000 }, (_, i) => `Paragraph ${i} with a [link][g] and *emphasis* that runs on.`);
    const source = `---\ntitle: Long\n---\n\n# Top\n\n${paragraphs.map((p, i) => (i % 500 ? p : `## Part ${i}\n\n${p}`)).join('\n\n')}\n\n[g]: https://example.org\n`;
    expect(markdownPieces(source, 256).length).toBe(1);
    expect(markdownPieces(source, 256, 8 * 1024).length).toBeGreaterThan(10);
    const whole = extractMarkdown(source);
    expect(extractMarkdown(source, 256, 8 * 1024)).toEqual(whole);
    expect(whole.text).toContain('Paragraph 3999 with a link and emphasis that runs on.');
    expect(whole.title).toBe('Long');
    expect(whole.sections!.map((s) => s.heading)).toEqual(['Top', ...Array.from({ length: 8 }, (_, i) => `Part ${i * 500}`)]);
  });
});
