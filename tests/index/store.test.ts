import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentBuild, loadIndex } from '../../src/index/files/store.js';
import { buildIndex } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';

/** What the embedded model's embedder expects of an index, by its fingerprint as the default settings give it. */
const USE_LITE = { modelId: 'use-lite', dimension: 512, fingerprint: JSON.stringify(['use-lite', 'mean', '', '']) };

const FILES = {
  'a.txt': 'Tea is grown in the hills of Assam. The leaves are picked by hand.\n\nA second paragraph on rainfall.',
  'notes/b.md': '# Coffee\n\nCoffee beans are roasted before they are ground.',
};

describe('index store', () => {
  const roots: string[] = [];
  afterAll(() => Promise.all(roots.map(removeDir)));

  /** A folder of the test's own with the corpus above, built once. */
  const built = async () => {
    const root = await tempDir();
    roots.push(root);
    const corpus = await writeCorpus(root, FILES);
    return { root, corpus, ...(await buildReal(root, corpus)) };
  };

  it('saves a build and loads it back whole', async () => {
    const { indexDir, manifest, corpus } = await built();
    const embedder = await realEmbedder();
    const index = await loadIndex(indexDir, embedder, 50);
    expect(index.manifest).toMatchObject(manifest);
    expect(Object.keys(index.manifest.files!).sort()).toEqual(['documents.jsonl', 'hashes.bin', 'hnsw.bin', 'passages.json', 'tokens.u16', 'vectors.f32']);
    // The Markdown heading is no passage of its own: it is the section of the paragraph under it.
    expect(index.passages.map((p) => p.source)).toEqual(['a.txt', 'a.txt', 'notes/b.md']);
    expect(index.passages[2]).toMatchObject({ text: 'Coffee beans are roasted before they are ground.', section: 'Coffee' });
    expect(index.hnsw.getCurrentCount()).toBe(index.passages.length);
    expect(manifest.documents.map((d) => d.source)).toEqual(['a.txt', 'notes/b.md']);
    const text = await readFile(path.join(corpus, 'a.txt'), 'utf8');
    for (const p of index.passages.filter((x) => x.source === 'a.txt')) expect(text.slice(p.start, p.end)).toBe(p.text);
  });

  it('keeps the current and the previous build only, and clears partial ones', async () => {
    const { root, corpus } = await built();
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
    await expect(loadIndex(empty, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_NOT_READY' });
    await removeDir(empty);
  });

  it('refuses an index built with another model, dimension, pooling or prefix', async () => {
    const { indexDir } = await built();
    expect((await realEmbedder()).fingerprint).toBe(USE_LITE.fingerprint);
    await expect(loadIndex(indexDir, USE_LITE, 50)).resolves.toBeDefined();
    const refused = [
      { modelId: 'Xenova/all-MiniLM-L6-v2', dimension: 384, fingerprint: JSON.stringify(['Xenova/all-MiniLM-L6-v2', 'mean', '', '']) },
      { ...USE_LITE, dimension: 384 },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'cls', '', '']) },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'mean', 'passage: ', '']) },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'mean', '', 'query: ']) },
    ];
    for (const expectation of refused) {
      await expect(loadIndex(indexDir, expectation, 50)).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
    }
  });

  it('reuses no vector of a damaged build: the next build embeds afresh and its vectors verify', async () => {
    const { indexDir, corpus } = await built();
    const dir = (await currentBuild(indexDir))!;
    const vectors = await readFile(path.join(dir, 'vectors.f32'));
    // Same size, other content: only the checksum can tell.
    const damaged = Buffer.from(vectors);
    damaged.fill(0, 0, 4096);
    await writeFile(path.join(dir, 'vectors.f32'), damaged);
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    const embedder = await realEmbedder();
    const rebuilt = await buildIndex(embedder, { corpusDir: corpus, store: createFilesStore(indexDir), model: 'use-lite', chunking: { words: 30, overlap: 10, maxTokens: 128 }, hnsw: { M: 16, efConstruction: 200 } });
    expect(rebuilt.reused).toBe(0);
    const index = await loadIndex(indexDir, USE_LITE, 50);
    expect(Buffer.from(index.textVectors.buffer, index.textVectors.byteOffset, index.textVectors.byteLength).equals(vectors)).toBe(true);
  });

  it('refuses a CURRENT naming anything but one of its own build folders, and a new build replaces it', async () => {
    const { root, indexDir, corpus } = await built();
    // A whole, valid build elsewhere: CURRENT must not reach it through a path.
    const other = await tempDir();
    roots.push(other);
    const elsewhere = await buildReal(other, corpus);
    const outside = path.basename((await currentBuild(elsewhere.indexDir))!);
    for (const name of [path.relative(indexDir, path.join(elsewhere.indexDir, outside)), path.join(elsewhere.indexDir, outside), '..', '.', `${outside}/..`]) {
      await writeFile(path.join(indexDir, 'CURRENT'), `${name}\n`);
      await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID', message: expect.stringContaining('not a build folder') });
    }
    await buildReal(root, corpus);
    const repaired = (await currentBuild(indexDir))!;
    expect(path.dirname(repaired)).toBe(indexDir);
    expect((await loadIndex(indexDir, USE_LITE, 50)).passages.length).toBeGreaterThan(0);
  });

  it('says INDEX_INVALID for damaged files', async () => {
    const { indexDir } = await built();
    const dir = (await currentBuild(indexDir))!;
    const vectors = await readFile(path.join(dir, 'vectors.f32'));
    await writeFile(path.join(dir, 'vectors.f32'), vectors.subarray(0, 100));
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await writeFile(path.join(dir, 'vectors.f32'), vectors);
    const hnsw = await readFile(path.join(dir, 'hnsw.bin'));
    for (const cut of [0, 10, 100, Math.floor(hnsw.length / 2), hnsw.length - 1]) {
      await writeFile(path.join(dir, 'hnsw.bin'), hnsw.subarray(0, cut));
      await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    }
    await writeFile(path.join(dir, 'hnsw.bin'), Buffer.concat([hnsw, Buffer.from('trailing junk')]));
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    const flipped = Buffer.from(hnsw);
    flipped[Math.floor(flipped.length / 3)] ^= 0xff;
    await writeFile(path.join(dir, 'hnsw.bin'), flipped);
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await writeFile(path.join(dir, 'hnsw.bin'), hnsw);
    // One byte of the manifest changed, and still JSON: its own checksum tells.
    const manifest = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    const changed = manifest.replace(/"passages": (\d+)/, (_, n) => `"passages": ${Number(n) + 1}`);
    expect(changed).not.toBe(manifest);
    await writeFile(path.join(dir, 'manifest.json'), changed);
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID', message: expect.stringContaining('manifest.json') });
    await writeFile(path.join(dir, 'manifest.json'), '{ not json');
    await expect(loadIndex(indexDir, USE_LITE, 50)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
  });
});
