// Small inputs that the readers once read in time growing with the square of their length, or worse. Each
// is sized so that the old code takes minutes (or overflows its stack) while the code now reads it at once; the
// assertions are on what is read, never on the clock.
import { describe, expect, it } from 'vitest';
import { chunkDocument, countWords } from '../../src/ingest/chunking.js';
import { fileOf } from '../../src/ingest/corpus.js';
import { extractFile } from '../../src/ingest/extract.js';
import { extractHtml } from '../../src/ingest/formats/html.js';
import { findFurniture } from '../../src/ingest/furniture.js';
import { slowInputs } from '../helpers/documents.js';

describe('markup read in one pass', () => {
  it('reads 250,000 `<title x` with no `>` (a regular expression took 134 s for 160,000)', () => {
    expect(extractHtml(slowInputs.openTitles(250_000)).text.length).toBeGreaterThan(0);
  });

  it("reads table rows of empty cells that end in a word (the separators' pattern took 97 s for one such row)", () => {
    const row = `<tr>${'<td></td>'.repeat(40)}last</tr>`;
    expect(extractHtml(`<table>${row.repeat(3)}</table>`).text).toBe(Array.from({ length: 3 }, () => `${'· '.repeat(40)}last`).join('\n\n'));
    expect(extractHtml('<table><tr><td>a</td><td>b</td></tr></table>').text).toBe('a · b');
  });
});

describe('a table of contents of dot leaders', () => {
  it('reads a line of 400,000 dots, alone or in a contents (the page-number patterns took minutes)', () => {
    const line = findFurniture(slowInputs.dots(400_000), true);
    expect(line).toEqual({ omit: [], sections: [] });
    const listed = findFurniture(slowInputs.dots(400_000, true), true);
    expect(listed.omit).toEqual([{ start: 0, end: slowInputs.dots(400_000, true).length }]);
  });

  it('still finds contents entries that end in page numbers after dot leaders or a wide gap', () => {
    const text =
      'Contents\n\nThe Orchard ........ 3\nThe Press   12\nThe Cellar..... iv\n\nTHE ORCHARD\n\nApples grow here in rows along the valley, and the keepers walk them daily.';
    const found = findFurniture(text, true);
    expect(found.omit).toEqual([{ start: 0, end: text.indexOf('\n\nTHE ORCHARD') }]);
    expect(found.sections.map((s) => s.heading)).toEqual(['THE ORCHARD']);
  });
});

describe('chunking stays linear', () => {
  const options = { words: 145, overlap: 50, maxTokens: 128 };

  it('cuts `Mr. ` ×75,000, one sentence that never ends, into passages within the token limit', () => {
    const text = slowInputs.titles(75_000);
    let counted = 0;
    const count = (t: string) => ((counted += t.length), countWords(t));
    const chunks = chunkDocument({ text }, options, count);
    for (const c of chunks) for (const s of c.sentences) expect(countWords(s.text)).toBeLessThanOrEqual(128);
    expect(chunks.at(-1)!.end).toBe(text.length - 1);
    // The token counter is given each character a bounded number of times.
    expect(counted).toBeLessThanOrEqual(3 * text.length);
  });

  it('chunks a 16 MB single paragraph and an 8 MB text with no blank line without overflowing the stack', async () => {
    const sentence = 'The keeper walked the rows and counted the apples fallen overnight. ';
    const paragraph = sentence.repeat(Math.ceil((16 * 1024 * 1024) / sentence.length));
    const chunks = chunkDocument({ text: paragraph }, options, countWords);
    expect(chunks.length).toBeGreaterThan(20_000);
    expect(paragraph.slice(chunks[5].start, chunks[5].end)).toBe(chunks[5].text);
    const log = await extractFile(fileOf('log.txt', 'text', Buffer.from(Array.from({ length: 130_000 }, (_, i) => `INFO request ${i} served`).join('\n'))));
    if ('skipped' in log) throw new Error(log.skipped);
    expect(chunkDocument(log, options, countWords).length).toBeGreaterThan(1000);
  });
});
