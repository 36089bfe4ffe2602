import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentBuild, loadIndex } from '../src/index-store.js';
import { buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from './helpers/real.js';

describe('index store', () => {
  let root: string;
  let corpus: string;

  beforeAll(async () => {
    root = await tempDir();
    corpus = await writeCorpus(root, {
      'a.txt': 'Tea is grown in the hills of Assam. The leaves are picked by hand.\n\nA second paragraph on rainfall.',
      'notes/b.md': '# Coffee\n\nCoffee beans are roasted before they are ground.',
    });
  });
  afterAll(() => removeDir(root));

  it('saves a build and loads it back whole', async () => {
    const { indexDir, manifest } = await buildReal(root, corpus);
    const embedder = await realEmbedder();
    const index = await loadIndex(indexDir, { modelId: embedder.modelId, dimension: embedder.dimension }, 50);
    expect(index.manifest).toMatchObject(manifest);
    expect(Object.keys(index.manifest.files!).sort()).toEqual(['hashes.bin', 'hnsw.bin', 'passages.json', 'tokens.u16', 'vectors.f32']);
    expect(index.passages.map((p) => p.source)).toEqual(['a.txt', 'a.txt', 'notes/b.md', 'notes/b.md']);
    expect(index.hnsw.getCurrentCount()).toBe(index.passages.length);
    expect(manifest.documents.map((d) => d.source)).toEqual(['a.txt', 'notes/b.md']);
    const text = await readFile(path.join(corpus, 'a.txt'), 'utf8');
    for (const p of index.passages.filter((x) => x.source === 'a.txt')) expect(text.slice(p.start, p.end)).toBe(p.text);
  });

  it('keeps the current and the previous build only, and clears partial ones', async () => {
    await mkdir(path.join(root, 'index', 'build-19990101T000000000Z-dead00.partial'));
    await buildReal(root, corpus);
    const before = await currentBuild(path.join(root, 'index'));
    await buildReal(root, corpus);
    const after = await currentBuild(path.join(root, 'index'));
    expect(after).not.toBe(before);
    const builds = (await readdir(path.join(root, 'index'))).filter((e) => e.startsWith('build-')).sort();
    expect(builds).toEqual([path.basename(before!), path.basename(after!)].sort());
  });

  it('says INDEX_NOT_READY when nothing was built', async () => {
    const empty = await tempDir();
    await expect(loadIndex(empty, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_NOT_READY' });
    await removeDir(empty);
  });

  it('refuses an index built with another model or dimension', async () => {
    const indexDir = path.join(root, 'index');
    await expect(loadIndex(indexDir, { modelId: 'Xenova/all-MiniLM-L6-v2', dimension: 384 }, 50)).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
    await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 384 }, 50)).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
  });

  it('says INDEX_INVALID for damaged files', async () => {
    const indexDir = path.join(root, 'index');
    const dir = (await currentBuild(indexDir))!;
    const vectors = await readFile(path.join(dir, 'vectors.f32'));
    await writeFile(path.join(dir, 'vectors.f32'), vectors.subarray(0, 100));
    await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await writeFile(path.join(dir, 'vectors.f32'), vectors);
    const hnsw = await readFile(path.join(dir, 'hnsw.bin'));
    for (const cut of [0, 10, 100, Math.floor(hnsw.length / 2), hnsw.length - 1]) {
      await writeFile(path.join(dir, 'hnsw.bin'), hnsw.subarray(0, cut));
      await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    }
    await writeFile(path.join(dir, 'hnsw.bin'), Buffer.concat([hnsw, Buffer.from('trailing junk')]));
    await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    const flipped = Buffer.from(hnsw);
    flipped[Math.floor(flipped.length / 3)] ^= 0xff;
    await writeFile(path.join(dir, 'hnsw.bin'), flipped);
    await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await writeFile(path.join(dir, 'hnsw.bin'), hnsw);
    await writeFile(path.join(dir, 'manifest.json'), '{ not json');
    await expect(loadIndex(indexDir, { modelId: 'use-lite', dimension: 512 }, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
  });
});
