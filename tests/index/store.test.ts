// The files store on disk: segments written whole, a commit per version, CURRENT naming one, everything a load
// reads checked against its checksum, and only what the current and the previous version read kept.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { currentVersion } from '../../src/index/files/commits.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { buildReal, realEmbedder, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { allPassages } from '../helpers/real.js';

/** What the embedded model's embedder expects of an index, by its fingerprint as the default settings give it. */
const USE_LITE = { modelId: 'use-lite', dimension: 512, fingerprint: JSON.stringify(['use-lite', 'mean', '', '']) };

const FILES = {
  'a.txt': 'Tea is grown in the hills of Assam. The leaves are picked by hand.\n\nA second paragraph on rainfall.',
  'notes/b.md': '# Coffee\n\nCoffee beans are roasted before they are ground.',
};

const open = (indexDir: string, expect = USE_LITE) => createFilesStore(indexDir).open({ expect, efSearch: 50 });

/** The folder of the current version's only segment. */
async function onlySegment(indexDir: string): Promise<string> {
  const commit = JSON.parse(await readFile(path.join(indexDir, 'commits', `${await currentVersion(indexDir)}.json`), 'utf8'));
  expect(commit.segments).toHaveLength(1);
  return path.join(indexDir, 'segments', commit.segments[0].name);
}

describe('the files store on disk', () => {
  const roots: string[] = [];
  afterAll(() => Promise.all(roots.map(removeDir)));

  /** A folder of the test's own with the corpus above, built once. */
  const built = async () => {
    const root = await tempDir();
    roots.push(root);
    const corpus = await writeCorpus(root, FILES);
    return { root, corpus, ...(await buildReal(root, corpus)) };
  };

  it('saves a version and loads it back whole', async () => {
    const { indexDir, manifest, corpus } = await built();
    const reader = await open(indexDir);
    expect(reader.manifest).toEqual(manifest);
    expect(reader.name).toBe('v1');
    // A small segment has no graph: it is searched exactly.
    expect((await readdir(await onlySegment(indexDir))).sort()).toEqual([
      'documents.jsonl',
      'hashes.bin',
      'keywords.json',
      'meta.json',
      'passages.json',
      'postings.bin',
      'tokens.u16',
      'vectors.f32',
    ]);
    const passages = await allPassages({ reader } as never);
    // The Markdown heading is no passage of its own: it is the section of the paragraph under it.
    expect(passages.map((p) => p.source)).toEqual(['a.txt', 'a.txt', 'notes/b.md']);
    expect(passages[2]).toMatchObject({ text: 'Coffee beans are roasted before they are ground.', section: 'Coffee' });
    expect(manifest.documents.map((d) => [d.source, d.origin, d.passages])).toEqual([
      ['a.txt', 'folder', 2],
      ['notes/b.md', 'folder', 1],
    ]);
    const text = await readFile(path.join(corpus, 'a.txt'), 'utf8');
    for (const p of passages.filter((x) => x.source === 'a.txt')) expect(text.slice(p.start, p.end)).toBe(p.text);
  });

  it('keeps what the current and the previous version read, and clears segments left half-written', async () => {
    const { root, corpus, indexDir } = await built();
    await mkdir(path.join(indexDir, 'segments', 's-19990101T000000000Z-dead00.partial'));
    await writeFile(path.join(corpus, 'c.txt'), 'A third document on harvests.');
    await buildReal(root, corpus);
    await writeFile(path.join(corpus, 'c.txt'), 'The third document, on harvests, edited.');
    await buildReal(root, corpus);
    expect(await currentVersion(indexDir)).toBe('v3');
    expect((await readdir(path.join(indexDir, 'commits'))).sort()).toEqual(['v2.json', 'v3.json']);
    const read = new Set<string>();
    for (const v of ['v2', 'v3']) for (const s of JSON.parse(await readFile(path.join(indexDir, 'commits', `${v}.json`), 'utf8')).segments) read.add(s.name);
    expect((await readdir(path.join(indexDir, 'segments'))).sort()).toEqual([...read].sort());
  });

  it('says INDEX_NOT_READY when nothing was built', async () => {
    const empty = await tempDir();
    await expect(open(empty)).rejects.toMatchObject({ code: 'INDEX_NOT_READY' });
    await removeDir(empty);
  });

  it('refuses an index built with another model, dimension, pooling or prefix', async () => {
    const { indexDir } = await built();
    expect((await realEmbedder()).fingerprint).toBe(USE_LITE.fingerprint);
    await expect(open(indexDir)).resolves.toBeDefined();
    const refused = [
      { modelId: 'Xenova/all-MiniLM-L6-v2', dimension: 384, fingerprint: JSON.stringify(['Xenova/all-MiniLM-L6-v2', 'mean', '', '']) },
      { ...USE_LITE, dimension: 384 },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'cls', '', '']) },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'mean', 'passage: ', '']) },
      { ...USE_LITE, fingerprint: JSON.stringify(['use-lite', 'mean', '', 'query: ']) },
    ];
    for (const expectation of refused) await expect(open(indexDir, expectation)).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
  });

  it('reuses no vector of a damaged segment: the next build embeds afresh and its vectors verify', async () => {
    const { indexDir, corpus } = await built();
    const dir = await onlySegment(indexDir);
    const vectors = await readFile(path.join(dir, 'vectors.f32'));
    // Same size, other content: only the checksum can tell.
    const damaged = Buffer.from(vectors);
    damaged.fill(0, 0, 4096);
    await writeFile(path.join(dir, 'vectors.f32'), damaged);
    await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    const embedder = await realEmbedder();
    const rebuilt = await buildIndex(embedder, {
      corpusDir: corpus,
      store: createFilesStore(indexDir),
      model: 'use-lite',
      chunking: { words: 12, overlap: 4, maxTokens: 128 },
      hnsw: { M: 16, efConstruction: 200 },
      force: true,
    });
    // Four sentences: three in a.txt, one in b.md; not one vector taken from the damaged segment.
    expect(rebuilt).toMatchObject({ rebuilt: true, embedded: 4, reused: 0 });
    await open(indexDir);
    expect((await readFile(path.join(await onlySegment(indexDir), 'vectors.f32'))).equals(vectors)).toBe(true);
  });

  it('refuses a CURRENT naming anything but a version of its own, and a new build replaces it', async () => {
    const { root, indexDir, corpus } = await built();
    // A whole, valid index elsewhere: CURRENT must not reach it through a path.
    const other = await tempDir();
    roots.push(other);
    const elsewhere = await buildReal(other, corpus);
    for (const name of [path.relative(indexDir, path.join(elsewhere.indexDir, 'v1')), path.join(elsewhere.indexDir, 'v1'), '..', '.', 'v1/..', 'commits/v1']) {
      await writeFile(path.join(indexDir, 'CURRENT'), `${name}\n`);
      await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID', message: expect.stringContaining('not a version') });
    }
    await buildReal(root, corpus);
    expect(await currentVersion(indexDir)).toBe('v2');
    expect((await open(indexDir)).manifest.passages).toBeGreaterThan(0);
  });

  it('says INDEX_INVALID for damaged files', async () => {
    const { indexDir } = await built();
    const dir = await onlySegment(indexDir);
    for (const file of ['vectors.f32', 'passages.json', 'postings.bin', 'keywords.json', 'documents.jsonl', 'hashes.bin']) {
      const original = await readFile(path.join(dir, file));
      await writeFile(path.join(dir, file), original.subarray(0, Math.floor(original.length / 2)));
      await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
      const flipped = Buffer.from(original);
      flipped[Math.floor(flipped.length / 3)] ^= 0x01;
      await writeFile(path.join(dir, file), flipped);
      await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID', message: expect.stringContaining(file) });
      await writeFile(path.join(dir, file), original);
    }
    await open(indexDir);
    // One byte of a commit or a segment's meta changed, and still JSON: its own checksum tells.
    const commitFile = path.join(indexDir, 'commits', 'v1.json');
    const commit = await readFile(commitFile, 'utf8');
    const changed = commit.replace(/"passages": (\d+)/, (_, n) => `"passages": ${Number(n) + 1}`);
    expect(changed).not.toBe(commit);
    await writeFile(commitFile, changed);
    await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID', message: expect.stringContaining('v1.json') });
    await writeFile(commitFile, commit);
    await writeFile(path.join(dir, 'meta.json'), '{ not json');
    await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await rm(path.join(dir, 'meta.json'));
    await expect(open(indexDir)).rejects.toMatchObject({ code: 'INDEX_INVALID' });
  });
});
