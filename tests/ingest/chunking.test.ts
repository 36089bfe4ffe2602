import { describe, expect, it } from 'vitest';
import { chunkText, splitBlocks, splitSentences } from '../../src/ingest/chunking.js';

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
const opts = { sentences: 3, overlap: 1, maxTokens: 100 };

describe('chunkText', () => {
  it('makes overlapping sentence windows whose offsets point back into the source', () => {
    const text = 'One is first. Two is next. Three follows. Four is here. Five ends it.';
    const chunks = chunkText(text, opts, words);
    expect(chunks.map((c) => c.text)).toEqual([
      'One is first. Two is next. Three follows.',
      'Three follows. Four is here. Five ends it.',
    ]);
    for (const c of chunks) {
      expect(text.slice(c.start, c.end)).toBe(c.text);
      for (const s of c.sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
    }
  });

  it('never joins sentences across a blank line', () => {
    const text = 'A title line\n\nFirst sentence here. Second one here.';
    const chunks = chunkText(text, opts, words);
    expect(chunks.map((c) => c.text)).toEqual(['A title line', 'First sentence here. Second one here.']);
  });

  it('keeps each window within the token limit', () => {
    const text = 'A b c d. E f g h. I j k l. M n o p.';
    const chunks = chunkText(text, { sentences: 3, overlap: 1, maxTokens: 8 }, words);
    expect(chunks.map((c) => c.text)).toEqual(['A b c d. E f g h.', 'E f g h. I j k l.', 'I j k l. M n o p.']);
    for (const c of chunks) expect(words(c.text)).toBeLessThanOrEqual(8);
  });

  it('cuts a sentence longer than the limit at word boundaries', () => {
    const text = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10.';
    const chunks = chunkText(text, { sentences: 1, overlap: 0, maxTokens: 4 }, words);
    expect(chunks.map((c) => c.text)).toEqual(['w1 w2 w3 w4', 'w5 w6 w7 w8', 'w9 w10.']);
    for (const c of chunks) expect(text.slice(c.start, c.end)).toBe(c.text);
  });

  it('indexes a repeated line once, whatever its case and spacing', () => {
    const text = 'Us relations with Pakistan\n\nBody one.\n\nus  relations with pakistan\n\nBody two.';
    const chunks = chunkText(text, opts, words);
    expect(chunks.map((c) => c.text)).toEqual(['Us relations with Pakistan', 'Body one.', 'Body two.']);
  });

  it('shares what it has seen across documents', () => {
    const seen = new Set<string>();
    chunkText('Licence header.\n\nBook one.', opts, words, seen);
    const second = chunkText('Licence header.\n\nBook two.', opts, words, seen);
    expect(second.map((c) => c.text)).toEqual(['Book two.']);
  });

  it('refuses an overlap as large as the window', () => {
    expect(() => chunkText('x', { sentences: 2, overlap: 2, maxTokens: 10 }, words)).toThrow(RangeError);
  });
});

describe('splitBlocks and splitSentences', () => {
  it('finds blocks separated by blank lines, keeping single line breaks inside', () => {
    const text = '  first\nstill first\n\n\nsecond  \n';
    expect(splitBlocks(text).map((b) => b.text)).toEqual(['first\nstill first', 'second']);
  });

  it('keeps abbreviations inside their sentence', () => {
    const [block] = splitBlocks('Ahead of the U.S. review, Mr. Smith spoke. Then Dr. Who left.');
    expect(splitSentences(block).map((s) => s.text)).toEqual(['Ahead of the U.S. review, Mr. Smith spoke.', 'Then Dr. Who left.']);
  });

  it('does not break at the line wraps of a paragraph', () => {
    const text = 'It was a dark\nand stormy night. The rain fell\nin torrents.';
    const sentences = splitSentences(splitBlocks(text)[0]);
    expect(sentences.map((s) => s.text)).toEqual(['It was a dark\nand stormy night.', 'The rain fell\nin torrents.']);
    for (const s of sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
  });
});
