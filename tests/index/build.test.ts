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

describe('the token counts a process keeps', () => {
  it('cut a sentence over the token limit the same way as a tokenizer that has never seen it', async () => {
    const { makeSegment } = await import('../../src/index/segment.js');
    const { hashedEmbedder } = await import('../helpers/hashed-embedder.js');
    // Words of one to four tokens (the embedder counts a token per three letters), one sentence of 60 words.
    const words = Array.from({ length: 60 }, (_, i) => ['ox', 'harbour', 'lighthouses', 'cartographically'][i % 4]);
    const doc = { source: 'long.txt', format: 'text' as const, sha256: '0', text: `${words.join(' ')}.\n\nA short one.` };
    const counting = () => {
      const embedder = hashedEmbedder(8);
      const asked: string[] = [];
      embedder.tokenize = (text) => (asked.push(text), Int32Array.from({ length: Math.ceil(text.length / 3) }, (_, i) => i));
      return { embedder, asked };
    };
    const segmentOf = async (embedder: ReturnType<typeof counting>['embedder']) => {
      const made = await makeSegment([doc], {
        chunking: { words: 200, overlap: 0, maxTokens: 20 },
        known: async () => new Map(),
        embedder: async () => embedder,
        dimension: 8,
      });
      return made.segment.passages.map((p) => p.sentences.map((s) => [s.start, s.end]));
    };
    const kept = counting();
    const first = await segmentOf(kept.embedder);
    const long = `${words.join(' ')}.`;
    expect(kept.asked).toContain(long);
    expect(kept.asked).toContain('cartographically');
    kept.asked.length = 0;
    const again = await segmentOf(kept.embedder);
    // The second time, the long sentence and its words are counted from what was kept: neither is tokenized again
    // (the pieces are, to be embedded: an index would have their vectors, a test's empty one has not).
    expect(kept.asked.length).toBeGreaterThan(0);
    expect(kept.asked.filter((t) => t === long || /^[a-z]+$/.test(t))).toEqual([]);
    expect(again).toEqual(first);
    expect(await segmentOf(counting().embedder)).toEqual(first);
    // The long sentence was cut into pieces of at most 20 tokens.
    expect(first[0].length).toBeGreaterThan(3);
  });
});
