// Faults around the index: a full disk during a build leaves the serving index as it was.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { currentVersion } from '../../src/index/files/commits.js';
import { buildIndex } from '../../src/index/build.js';
import { realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

/** A 160 KiB file system for the index folder; needs root (CI runs as root). */
function mountTiny(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const canMount = process.getuid?.() === 0;
if (!canMount) {
  // Said out loud, not skipped in silence: CI runs as root and runs it.
  console.warn('SKIPPED tests/index/faults.test.ts: the full-disk test mounts a tmpfs and needs root; CI runs it as root.');
}

describe('CURRENT that cannot be written', () => {
  it('fails with INDEX_WRITE_FAILED and leaves no new segment, no lock, and the previous version current', async () => {
    const root = await tempDir();
    try {
      const indexDir = path.join(root, 'index');
      const embedder = await realEmbedder();
      const options = (corpusDir: string) => ({
        corpusDir,
        store: createFilesStore(indexDir),
        model: 'use-lite',
        chunking: { words: 30, overlap: 10, maxTokens: 128 },
        hnsw: { M: 16, efConstruction: 50 },
      });
      const first = await buildIndex(embedder, options(await writeCorpus(path.join(root, 'a'), { 'a.txt': 'A first note.' })));
      const segments = await readdir(path.join(indexDir, 'segments'));
      // CURRENT replaced by a folder with something in it: the rename that makes a build current fails.
      const current = await readFile(path.join(indexDir, 'CURRENT'), 'utf8');
      await rm(path.join(indexDir, 'CURRENT'));
      await mkdir(path.join(indexDir, 'CURRENT', 'x'), { recursive: true });
      await expect(buildIndex(embedder, options(await writeCorpus(path.join(root, 'b'), { 'b.txt': 'A second note.' })))).rejects.toMatchObject({
        code: 'INDEX_WRITE_FAILED',
      });
      const left = await readdir(indexDir);
      expect(await readdir(path.join(indexDir, 'segments'))).toEqual(segments);
      expect(left.filter((e) => e.includes('lock') || e.includes('.tmp-'))).toEqual([]);
      expect(current.trim()).toBe(first.name);
    } finally {
      await removeDir(root);
    }
  });
});

describe.runIf(canMount)('a full disk during a build', () => {
  let root: string;
  let indexDir: string;
  let mounted = false;

  beforeAll(async () => {
    root = await tempDir();
    indexDir = path.join(root, 'index');
    await mkdir(indexDir);
    mounted = mountTiny(indexDir);
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [indexDir]);
    await removeDir(root);
  });

  it('fails with INDEX_WRITE_FAILED and leaves the previous index serving', async () => {
    expect(mounted).toBe(true);
    const embedder = await realEmbedder();
    const options = (corpusDir: string) => ({
      corpusDir,
      store: createFilesStore(indexDir),
      model: 'use-lite',
      chunking: { words: 30, overlap: 10, maxTokens: 128 },
      hnsw: { M: 16, efConstruction: 50 },
    });
    const small = await writeCorpus(path.join(root, 'small'), { 'a.txt': 'A short note that fits on the disk.' });
    const first = await buildIndex(embedder, options(small));

    const sentences = Array.from({ length: 150 }, (_, i) => `Sentence number ${i} talks about topic ${i * 7} in its own words.`);
    const big = await writeCorpus(path.join(root, 'big'), { 'b.txt': sentences.join(' ') });
    await expect(buildIndex(embedder, options(big))).rejects.toMatchObject({ code: 'INDEX_WRITE_FAILED' });

    expect(await currentVersion(indexDir)).toBe(first.name);
    const reader = await createFilesStore(indexDir).open({ expect: embedder, efSearch: 50 });
    expect((await reader.passages([0])).get(0)!.text).toBe('A short note that fits on the disk.');
    expect((await readdir(path.join(indexDir, 'segments'))).filter((e) => e.endsWith('.partial'))).toEqual([]);
    expect((await readdir(indexDir)).filter((e) => e.includes('.tmp-'))).toEqual([]);
  });

  it('fails with INDEX_WRITE_FAILED when there is no room at all, and leaves nothing behind', async () => {
    const embedder = await realEmbedder();
    // Fill what is left of the disk.
    const filler = path.join(indexDir, 'filler');
    await writeFile(filler, Buffer.alloc(160 * 1024)).catch(() => undefined);
    const before = (await readdir(indexDir)).sort();
    const corpusDir = await writeCorpus(path.join(root, 'full'), { 'c.txt': 'A third note that will not fit.' });
    await expect(
      buildIndex(embedder, {
        corpusDir,
        store: createFilesStore(indexDir),
        model: 'use-lite',
        chunking: { words: 30, overlap: 10, maxTokens: 128 },
        hnsw: { M: 16, efConstruction: 50 },
      }),
    ).rejects.toMatchObject({ code: 'INDEX_WRITE_FAILED' });
    expect((await readdir(indexDir)).sort()).toEqual(before);
    await rm(filler);
  });
});
