// One file can no longer stop a build. Each hostile file is skipped with its own code while the rest of the
// corpus is read; the limits are shown to trigger with small limits passed in, so nothing here waits long.
import { describe, expect, it } from 'vitest';
import { corpusOf, fileOf } from '../../src/ingest/corpus.js';
import { extractCorpus, extractFile } from '../../src/ingest/extract.js';
import type { ExtractLimits } from '../../src/ingest/limits.js';
import { docxBomb, docxBytes, pdfPageTreeBomb, pdfStreamBomb, pdfXObjectBomb, slowInputs } from '../helpers/documents.js';

/** The default limits (docs/reliability.md), spelled out, with the changes a test makes. */
const limits = (changes: Partial<ExtractLimits>): ExtractLimits => ({
  maxInflatedBytes: 64 * 1024 * 1024,
  maxPages: 50_000,
  maxNesting: 256,
  workers: 2,
  heapMb: 640,
  baseMs: 30_000,
  msPerMb: 10_000,
  ...changes,
});
const ORDINARY = fileOf('ordinary.txt', 'text', Buffer.from('An ordinary note about the orchard.'));

/** The code each file was skipped with, by source; read files are absent. */
const codes = (skipped: { source: string; code: string }[]) => Object.fromEntries(skipped.map((s) => [s.source, s.code]));

describe('the reader pool', () => {
  it('ends a reader past its time: the file is a timeout, and the others are read', async () => {
    // Form XObjects drawing each other ten times a level, seven levels: 10^7 draws (58 s and a stack overflow that
    // stopped the build); 300 KB of `]`, which the Markdown parser reads in quadratic time (minutes).
    const files = [
      fileOf('xobjects.pdf', 'pdf', pdfXObjectBomb(7, 10)),
      fileOf('brackets.md', 'markdown', Buffer.from(slowInputs.brackets(300_000))),
      ORDINARY,
    ];
    // The tests keep one pool under the default limits (tests/helpers/keep-readers.ts): a reading under others gets its own.
    const got = await extractCorpus(corpusOf(files), new Map(), undefined, limits({ baseMs: 2_000, msPerMb: 0 }));
    expect(codes(got.skipped)).toEqual({ 'xobjects.pdf': 'timeout', 'brackets.md': 'timeout' });
    expect(got.skipped[0].reason).toMatch(/^timeout \(reading it took longer than 2\.0 s/);
    expect(got.documents.map((d) => [d.source, d.text])).toEqual([['ordinary.txt', 'An ordinary note about the orchard.']]);
  });

  it('ends a reader past its heap cap: the file is too large, and the pool reads on with a new worker', async () => {
    // A Word file of 32 MB of short paragraphs: mammoth's tree of it is far larger than 128 MB.
    const bomb = fileOf('dense.docx', 'docx', docxBomb(32 * 1024 * 1024));
    const got = await extractCorpus(corpusOf([bomb, ORDINARY]), new Map(), undefined, limits({ heapMb: 128, workers: 1, maxInflatedBytes: 1024 ** 3 }));
    // The skip keeps the bytes' hash: the same bytes are not read again by the next build.
    expect(got.skipped).toEqual([
      { source: 'dense.docx', code: 'too-large', reason: 'too large (reading it needed more than 128 MB of memory)', sha256: bomb.sha256 },
    ]);
    expect(got.documents.map((d) => d.source)).toEqual(['ordinary.txt']);
  });
});

describe("the readers' own limits", () => {
  it('refuses a Word file whose XML inflates past the limit before reading it', async () => {
    const got = await extractFile(fileOf('bomb.docx', 'docx', docxBomb(4 * 1024 * 1024)), limits({ maxInflatedBytes: 1024 * 1024 }));
    expect(got).toEqual({ code: 'too-large', skipped: 'too large (its XML inflates to more than 1 MB, the limit)' });
    // An ordinary Word file under the same limit is read.
    expect(await extractFile(fileOf('ok.docx', 'docx', await docxBytes(['Short.'])), limits({ maxInflatedBytes: 1024 * 1024 }))).toEqual({ text: 'Short.' });
  });

  it('refuses a PDF with a stream that inflates past the limit, and reads one whose streams fit', async () => {
    const got = await extractFile(fileOf('bomb.pdf', 'pdf', pdfStreamBomb(4 * 1024 * 1024)), limits({ maxInflatedBytes: 1024 * 1024 }));
    expect(got).toEqual({ code: 'too-large', skipped: 'too large (a stream inflates to more than 1 MB, the limit)' });
    expect(await extractFile(fileOf('small.pdf', 'pdf', pdfStreamBomb(1000)), limits({ maxInflatedBytes: 1024 * 1024 }))).toMatchObject({ text: 'Inflated.' });
  });

  it('refuses a PDF of more pages than the limit: a page tree listing one page 10 times a level', async () => {
    expect(await extractFile(fileOf('tree.pdf', 'pdf', pdfPageTreeBomb(3, 10)), limits({ maxPages: 100 }))).toEqual({
      code: 'too-complex',
      skipped: 'too complex (1000 pages; the limit is 100)',
    });
    // A million pages, refused at once under the default limit.
    expect(await extractFile(fileOf('tree.pdf', 'pdf', pdfPageTreeBomb(6, 10)))).toEqual({
      code: 'too-complex',
      skipped: 'too complex (1000000 pages; the limit is 50000)',
    });
  });

  it('refuses HTML nested deeper than the limit, which Readability reads in cubic time or a walk overflows on', async () => {
    // 2,000 nested <div> took Readability 48 s; 10,000 unclosed <b> overflowed the stack ("unreadable").
    for (const html of [slowInputs.nestedDivs(2_000), slowInputs.nestedBold(10_000)]) {
      expect(await extractFile(fileOf('deep.html', 'html', Buffer.from(html)))).toEqual({
        code: 'too-complex',
        skipped: 'too complex (nested over 256 levels deep; the limit is 256)',
      });
    }
    expect(await extractFile(fileOf('deep.html', 'html', Buffer.from(slowInputs.nestedDivs(20))), limits({ maxNesting: 10 }))).toMatchObject({
      code: 'too-complex',
    });
    expect(await extractFile(fileOf('ok.html', 'html', Buffer.from(slowInputs.nestedDivs(20))))).toEqual({ text: 'deep' });
  });

  it('refuses Markdown whose quotes or lists nest deeper than the limit', async () => {
    // 100,000 `>` overflowed the parser's stack; a 1,000-level list took 55 s.
    const quotes = await extractFile(fileOf('q.md', 'markdown', Buffer.from(slowInputs.quotes(100_000))));
    expect(quotes).toEqual({ code: 'too-complex', skipped: 'too complex (nested 100000 levels deep; the limit is 256)' });
    expect(await extractFile(fileOf('l.md', 'markdown', Buffer.from(slowInputs.deepList(1_000))))).toMatchObject({ code: 'too-complex' });
    // A list nested a few levels is read as ever.
    expect(await extractFile(fileOf('l.md', 'markdown', Buffer.from(slowInputs.deepList(4))))).toEqual({ text: 'level 0\n\nlevel 1\n\nlevel 2\n\nlevel 3' });
  });
});
