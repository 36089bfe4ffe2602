import { describe, expect, it } from 'vitest';
import { chunkDocument, countWords, splitBlocks, splitSentences, windowBounds } from '../../src/ingest/chunking.js';

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
const opts = { words: 12, overlap: 4, maxTokens: 100 };
const texts = (text: string, options = opts, extra: Partial<Parameters<typeof chunkDocument>[0]> = {}) =>
  chunkDocument({ text, ...extra }, options, words).map((c) => c.text);

describe('chunkDocument', () => {
  it('makes windows of whole sentences near the target size, sharing at most the overlap, with offsets into the source', () => {
    const text = 'One two three four. Five six seven eight. Nine ten eleven twelve. Thirteen fourteen fifteen sixteen. Seventeen eighteen nineteen twenty.';
    const chunks = chunkDocument({ text }, opts, words);
    expect(chunks.map((c) => c.text)).toEqual([
      'One two three four. Five six seven eight. Nine ten eleven twelve.',
      'Nine ten eleven twelve. Thirteen fourteen fifteen sixteen. Seventeen eighteen nineteen twenty.',
    ]);
    for (const c of chunks) {
      expect(text.slice(c.start, c.end)).toBe(c.text);
      for (const s of c.sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
    }
  });

  it('joins short paragraphs (dialogue, verse) into one window and splits a long one', () => {
    const dialogue = ['"Who is there?"', '"A friend of the house."', '"Come in, then."', '"Thank you kindly."'].join('\n\n');
    expect(texts(dialogue, { words: 20, overlap: 4, maxTokens: 100 })).toEqual([
      '"Who is there?"\n\n"A friend of the house."\n\n"Come in, then."\n\n"Thank you kindly."',
    ]);
    const long = Array.from({ length: 6 }, (_, i) => `Sentence ${i} has five words.`).join(' ');
    expect(texts(long).length).toBeGreaterThan(1);
  });

  it('never crosses a heading, which is not a passage of its own', () => {
    const text = 'Before the heading it ends.\n\nCHAPTER II\n\nAfter the heading it starts.';
    expect(texts(text, opts, { sections: [{ start: text.indexOf('CHAPTER') }] })).toEqual(['Before the heading it ends.', 'After the heading it starts.']);
  });

  it('never crosses a page that starts a paragraph, but runs on over one that starts mid-block', () => {
    const text = 'Page one text.\n\nPage two text.';
    expect(texts(text, opts, { pages: [0, text.indexOf('Page two')] })).toEqual(['Page one text.', 'Page two text.']);
    expect(texts(text, opts, { pages: [0, text.indexOf('two text')] })).toEqual([text]);
  });

  it('leaves out omitted spans, and they are boundaries', () => {
    const text = 'Licence words here.\n\nThe body starts.\n\nA contents list.\n\nThe body goes on.';
    const omit = [
      { start: 0, end: text.indexOf('The body') - 2 },
      { start: text.indexOf('A contents'), end: text.indexOf('The body goes') - 2 },
    ];
    expect(texts(text, opts, { omit })).toEqual(['The body starts.', 'The body goes on.']);
  });

  it('numbers the runs, so that passages of one run are known as neighbours', () => {
    const text = 'One run here.\n\nCHAPTER II\n\nAnother run.';
    expect(chunkDocument({ text, sections: [{ start: text.indexOf('CHAPTER') }] }, opts, words).map((c) => c.run)).toEqual([0, 1]);
  });

  it('cuts a sentence longer than the token limit at word boundaries', () => {
    const text = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10.';
    const chunks = chunkDocument({ text }, { words: 4, overlap: 0, maxTokens: 4 }, words);
    expect(chunks.map((c) => c.text)).toEqual(['w1 w2 w3 w4', 'w5 w6 w7 w8', 'w9 w10.']);
  });

  it('indexes a block of five words or more once in a document, whatever its case and spacing', () => {
    const text = 'The licence of this edition applies.\n\nBody one.\n\nthe  licence of this edition APPLIES.\n\nBody two.';
    expect(chunkDocument({ text }, opts, words).map((c) => c.text)).toEqual(['The licence of this edition applies.\n\nBody one.', 'Body two.']);
    // Another document is chunked on its own: the same block is its own again.
    expect(chunkDocument({ text: 'The licence of this edition applies.' }, opts, words).map((c) => c.text)).toEqual(['The licence of this edition applies.']);
  });

  it('refuses an overlap as large as the window', () => {
    expect(() => chunkDocument({ text: 'x' }, { words: 2, overlap: 2, maxTokens: 10 }, words)).toThrow(RangeError);
  });
});

describe('windowBounds', () => {
  it('ends each window at the boundary nearest the target, overlaps by whole sentences, and lets the last reach back', () => {
    expect(windowBounds([5, 5, 5, 5, 5], 10, 5)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(windowBounds([5, 5, 5, 5, 5], 10, 0)).toEqual([
      [0, 1],
      [2, 3],
      [3, 4],
    ]);
    expect(windowBounds([30, 2, 2], 10, 3)).toEqual([
      [0, 0],
      [1, 2],
    ]);
    expect(windowBounds([3], 10, 0)).toEqual([[0, 0]]);
  });
});

describe('splitBlocks, splitSentences and countWords', () => {
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

  it('counts words as runs between white space', () => {
    expect(countWords('  a b\n\nc\u00a0d  ')).toBe(4);
    expect(countWords('')).toBe(0);
  });

  it('stays linear on a long block of titles and on a block with no blank line', () => {
    const titles = 'Mr. '.repeat(75_000);
    expect(splitSentences(splitBlocks(titles)[0]).length).toBeGreaterThan(0);
    const log = Array.from({ length: 200_000 }, (_, i) => `line ${i} of the log`).join('\n');
    expect(splitBlocks(log)).toHaveLength(1);
  });
});
