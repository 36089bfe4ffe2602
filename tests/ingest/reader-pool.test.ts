// The reader pool itself: workers that read every format as this thread does, and that stop when told.
import { describe, expect, it } from 'vitest';
import { corpusOf, fileOf } from '../../src/ingest/corpus.js';
import { extractCorpus, extractFile } from '../../src/ingest/extract.js';
import { DEFAULT_LIMITS, deadlineFor } from '../../src/ingest/limits.js';
import { createReaderPool } from '../../src/ingest/reader-pool.js';
import { docxBytes, pdfBytes, slowInputs } from '../helpers/documents.js';

describe('createReaderPool', () => {
  it('reads the formats in its workers as in this thread, and never detaches the bytes it is given', async () => {
    const pool = createReaderPool();
    try {
      const pdf = await pdfBytes([['A page about pears.']]);
      const docx = await docxBytes([[1, 'Cider'], 'Pressed in autumn.']);
      expect(await pool.read(pdf, 'pdf')).toEqual(await extractFile(fileOf('p.pdf', 'pdf', pdf)));
      expect(await pool.read(docx, 'docx')).toMatchObject({ text: 'Cider\n\nPressed in autumn.', title: 'Cider' });
      expect(pdf.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('skips the files still waiting when it is closed, as a stopped build does', async () => {
    const pool = createReaderPool({ ...DEFAULT_LIMITS, workers: 1 });
    const slow = pool.read(Buffer.from(slowInputs.brackets(300_000)), 'markdown');
    const waiting = pool.read(Buffer.from('Never read.'), 'text');
    await pool.close();
    expect(await slow).toEqual({ skipped: 'unreadable (reading stopped)', code: 'unreadable' });
    expect(await waiting).toEqual({ skipped: 'unreadable (reading stopped)', code: 'unreadable' });
  });

  it("lets one reading of a shared pool stop its own files and no one else's", async () => {
    const pool = createReaderPool({ ...DEFAULT_LIMITS, workers: 2 });
    try {
      const stopping = pool.session();
      const going = pool.session();
      const slow = stopping.read(Buffer.from(slowInputs.brackets(300_000)), 'markdown');
      const queued = stopping.read(Buffer.from('Never read.'), 'text');
      const other = going.read(Buffer.from('Read all the same.'), 'text');
      await stopping.close();
      expect(await slow).toEqual({ skipped: 'unreadable (reading stopped)', code: 'unreadable' });
      expect(await queued).toEqual({ skipped: 'unreadable (reading stopped)', code: 'unreadable' });
      expect(await other).toMatchObject({ text: 'Read all the same.' });
      // The pool serves on, a new worker in the stopped one's place.
      expect(await going.read(Buffer.from('And this after.'), 'text')).toMatchObject({ text: 'And this after.' });
      expect(await pool.read(Buffer.from('And this too.'), 'text')).toMatchObject({ text: 'And this too.' });
    } finally {
      await pool.close();
    }
  });

  it('stops at once on an aborted signal, the file being read abandoned', async () => {
    const stop = new AbortController();
    const reading = extractCorpus(corpusOf([fileOf('brackets.md', 'markdown', Buffer.from(slowInputs.brackets(300_000)))]), new Map(), stop.signal);
    setTimeout(() => stop.abort(new Error('stopped')), 200);
    await expect(reading).rejects.toThrow('stopped');
  });

  it('gives a file its base time and more for each MB', () => {
    expect(deadlineFor(DEFAULT_LIMITS, 0)).toBe(30_000);
    expect(deadlineFor(DEFAULT_LIMITS, 30 * 1024 * 1024)).toBe(330_000);
  });
});
