// What a build refuses to store: vectors that are not finite never reach an index, and the previous one stays.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { currentVersion } from '../../src/index/files/commits.js';
import { pdfWithoutText, writeFiles } from '../helpers/documents.js';
import { fixedEmbedder } from '../helpers/fixed-embedder.js';
import { removeDir, tempDir, writeCorpus } from '../helpers/real.js';

describe('a model giving NaN', () => {
  let root: string;
  beforeAll(async () => (root = await tempDir()));
  afterAll(() => removeDir(root));

  it('fails the build with MODEL_OUTPUT_INVALID and leaves the current build as it was', async () => {
    const indexDir = path.join(root, 'index');
    const options = (corpusDir: string) => ({
      corpusDir,
      store: createFilesStore(indexDir),
      model: 'fixed',
      chunking: { words: 30, overlap: 10, maxTokens: 512 },
      hnsw: { M: 16, efConstruction: 50 },
    });
    const good = fixedEmbedder({ 'A calm sentence.': [1, 0, 0, 0], 'A broken sentence.': [0, 1, 0, 0] }, {});
    const first = await buildIndex(good, options(await writeCorpus(path.join(root, 'a'), { 'a.txt': 'A calm sentence.' })));
    const broken = fixedEmbedder({ 'A calm sentence.': [1, 0, 0, 0], 'A broken sentence.': [Number.NaN, 0, 0, 0] }, {});
    const corpus = await writeCorpus(path.join(root, 'b'), { 'a.txt': 'A calm sentence.\n\nA broken sentence.' });
    await expect(buildIndex(broken, options(corpus))).rejects.toMatchObject({ code: 'MODEL_OUTPUT_INVALID' });
    expect(await currentVersion(indexDir)).toBe(first.name);
  });
});

describe('build progress', () => {
  let root: string;
  beforeAll(async () => (root = await tempDir()));
  afterAll(() => removeDir(root));

  it('counts tokens, not texts, from 0 to all of them, and names each step as it starts', async () => {
    const sentences = { 'One two three four five six.': [1, 0, 0, 0], 'Seven.': [0, 1, 0, 0], 'Eight nine.': [0, 0, 1, 0] };
    const progress: [number, number][] = [];
    const stages: string[] = [];
    await buildIndex(fixedEmbedder(sentences, {}), {
      corpusDir: await writeCorpus(root, { 'a.txt': 'One two three four five six. Seven. Eight nine.' }),
      store: createFilesStore(path.join(root, 'index')),
      model: 'fixed',
      chunking: { words: 30, overlap: 10, maxTokens: 512 },
      hnsw: { M: 16, efConstruction: 50 },
      onProgress: (done, total) => progress.push([done, total]),
      onStage: (stage) => stages.push(stage),
    });
    // The fixed embedder's tokens are words: 6 + 1 + 2.
    expect(progress[0]).toEqual([0, 9]);
    expect(progress.at(-1)).toEqual([9, 9]);
    expect(stages).toEqual(['reuse', 'extract', 'chunk', 'embed', 'assemble', 'save']);
  });
});

describe('a folder whose files give no text', () => {
  let root: string;
  beforeAll(async () => (root = await tempDir()));
  afterAll(() => removeDir(root));

  it('says CORPUS_EMPTY, naming the corpus folder and each file skipped with its reason, and builds nothing', async () => {
    const corpusDir = path.join(root, 'corpus');
    await writeFiles(corpusDir, { 'scan.pdf': await pdfWithoutText(1), 'blank.md': '---\ntitle: Only a title\n---\n', 'prices.csv': 'a,b\n' });
    const indexDir = path.join(root, 'index');
    const building = buildIndex(fixedEmbedder({}, {}), {
      corpusDir,
      store: createFilesStore(indexDir),
      model: 'fixed',
      chunking: { words: 30, overlap: 10, maxTokens: 512 },
      hnsw: { M: 16, efConstruction: 50 },
    });
    const err = await building.catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'CORPUS_EMPTY' });
    expect((err as Error).message).toContain(`The corpus folder ${await realpath(corpusDir)} holds no document`);
    expect((err as Error).message).toMatch(/Skipped: blank\.md \(no text\); prices\.csv \(unsupported type \(\.csv\)\); scan\.pdf \(no text \(its 1 page/);
    expect(await currentVersion(indexDir)).toBeNull();
  });
});
