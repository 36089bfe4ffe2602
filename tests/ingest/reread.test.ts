// A file read while it is being written: read again once, and left for the next build when it will not hold still.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readSteadily } from '../../src/ingest/extract.js';
import type { FileRead } from '../../src/ingest/files.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('readSteadily', () => {
  it('reads a file again when it changed after the walk, and leaves one that keeps changing for the next build', async () => {
    const file = { source: 'a.txt', format: 'text' as const, sha256: sha('walked'), path: '/a.txt' };
    const reads = (...texts: string[]) => {
      let n = 0;
      return async (): Promise<FileRead> => {
        const text = texts[n++];
        return { bytes: Buffer.from(text), sha256: sha(text) };
      };
    };
    const text = async (read: ReturnType<typeof reads>) => {
      const got = await readSteadily(file, read);
      return 'skipped' in got ? got : got.bytes.toString();
    };
    expect(await text(reads('walked'))).toBe('walked');
    // Changed since the walk and steady since: the new bytes, under their own hash.
    expect(await text(reads('edited', 'edited'))).toBe('edited');
    // Restored between two reads: the walk's bytes.
    expect(await text(reads('edited', 'walked'))).toBe('walked');
    // Different each time: still being written.
    expect(await text(reads('edited', 'edited again'))).toEqual({ code: 'changed', skipped: 'changed while being read (left for the next build)' });
  });
});
