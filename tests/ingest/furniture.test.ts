import { describe, expect, it } from 'vitest';
import { findFurniture, gutenbergBody } from '../../src/ingest/furniture.js';
import { chunkDocument } from '../../src/ingest/chunking.js';
import { extractFile } from '../../src/ingest/extract.js';

const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
const indexed = (text: string, structure = true) => {
  const f = findFurniture(text, structure);
  return chunkDocument({ text, sections: f.sections, omit: f.omit }, { words: 40, overlap: 10, maxTokens: 200 }, words)
    .map((c) => c.text)
    .join('\n\n');
};

const book = (body: string) => `The Project Gutenberg eBook of The Orchard, by A. Grower

This eBook is for the use of anyone anywhere in the United States and most
other parts of the world at no cost and with almost no restrictions whatsoever.

Title: The Orchard
       A Story of Trees

Author: A. Grower

*** START OF THE PROJECT GUTENBERG EBOOK THE ORCHARD ***

${body}

*** END OF THE PROJECT GUTENBERG EBOOK THE ORCHARD ***

Updated editions will replace the previous one--the old editions will
be renamed. Section 1. General Terms of Use and Redistributing Project Gutenberg.`;

describe('Project Gutenberg licence', () => {
  it('indexes only the text between the START and END lines, and takes the title from the header', () => {
    const text = book('The orchard stood on the hill above the river, and every spring it flowered.');
    expect(gutenbergBody(text)).toMatchObject({ title: 'The Orchard A Story of Trees' });
    const got = indexed(text);
    expect(got).toBe('The orchard stood on the hill above the river, and every spring it flowered.');
    expect(got).not.toMatch(/Gutenberg|eBook|Redistributing/);
  });

  it('leaves a text without those lines whole', () => {
    expect(findFurniture('Just a text about Project Gutenberg.', true).omit).toEqual([]);
  });
});

describe('contents and heading lines', () => {
  const body = `CONTENTS

 CHAPTER I.     The Seed
 CHAPTER II.    The Graft
 CHAPTER III.   The Harvest

CHAPTER I.
The Seed

The seed was sown in a wet March, and nobody thought it would take.

CHAPTER II.
The Graft

The graft was made by the old gardener, who had learnt it from his father.

ACT III. SCENE II.

The harvest came late, and the apples were small but sweet.`;

  it('makes heading lines sections and leaves them and the contents out of the passages', () => {
    const text = book(body);
    const f = findFurniture(text, true);
    expect(f.sections.map((s) => s.heading)).toEqual(['CHAPTER I. The Seed', 'CHAPTER II. The Graft', 'ACT III. SCENE II.']);
    const got = indexed(text);
    expect(got).not.toMatch(/CONTENTS|CHAPTER|ACT III/);
    expect(got.split('\n\n')).toEqual([
      'The seed was sown in a wet March, and nobody thought it would take.',
      'The graft was made by the old gardener, who had learnt it from his father.',
      'The harvest came late, and the apples were small but sweet.',
    ]);
  });

  it('leaves a list of entries with page numbers out, and keeps prose that starts with a numeral', () => {
    const text = `The Garden Book\n\nThe Seed ........ 1\nThe Graft ....... 9\nThe Harvest ..... 17\n\nI. came to the garden in May, as my father had.`;
    const got = indexed(text);
    expect(got).not.toMatch(/\.{3}/);
    expect(got).toMatch(/came to the garden in May/);
  });

  it('finds no headings in formats with heading markup', () => {
    expect(findFurniture(book(body), false).sections).toEqual([]);
  });

  it('applies to a plain-text file as the build reads it', async () => {
    const got = await extractFile({ source: 'orchard.txt', format: 'text', sha256: '', bytes: Buffer.from(book(body)) } as never);
    if ('skipped' in got) throw new Error(got.skipped);
    expect(got.title).toBe('The Orchard A Story of Trees');
    expect(got.sections?.map((s) => s.heading)).toContain('CHAPTER II. The Graft');
    expect(got.omit?.[0]).toEqual({ start: 0, end: got.text.indexOf('*** START') + '*** START OF THE PROJECT GUTENBERG EBOOK THE ORCHARD ***'.length });
  });
});
