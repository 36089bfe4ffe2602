// The orchard: seven sentences in three sections with sentence and query vectors written down (entries 0, ±½, ±1,
// so every cosine is exact), built by the real build into overlapping windows (about fourteen words, up to ten
// shared), which never cross a section's heading.
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import type { IndexStore } from '../../src/index/store.js';
import { createSearchEngine, type SearchEngine, type SearchSettings } from '../../src/search/engine.js';
import { fixedEmbedder } from './fixed-embedder.js';
import { PROBE_QUESTIONS } from '../../src/search/confidence.js';
import { removeDir, tempDir, writeCorpus } from './real.js';

const h = 0.5;
export const SENTENCES: Record<string, number[]> = {
  'Apples grow on tall trees.': [h, -h, h, -h],
  'Pears ripen slowly in autumn.': [h, h, h, h],
  'Plums and pears are sweet.': [0, 0, 0, 1],
  'Figs need heat.': [0, 0, 1, 0],
  'Boats sail from the quay at dawn.': [-h, -h, h, h],
  'Nets dry on the quay.': [1, 0, 0, 0],
  'Pears, pears and more pears fill the market stalls today.': [h, h, -h, h],
};
/**
 * The vector of every confidence probe (src/search/confidence.ts): cosine −½ to six sentences and 0 to the market's,
 * and no word of the orchard, so each probe's best hit is the market passage at score 0 and the threshold is 0.
 */
export const PROBE: number[] = [-h, h, -h, -h];
export const QUERIES: Record<string, number[]> = {
  'when do pears ripen': [h, h, h, h],
  'figs and apples': [h, -h, h, h],
  'vessels leaving harbour at sunrise': [-h, -h, h, h],
  'pears and zebras': [h, h, -h, h],
  ...Object.fromEntries(PROBE_QUESTIONS.map((q) => [q, PROBE])),
};
export const DOCUMENT = [
  'THE ORCHARD',
  'Apples grow on tall trees. Pears ripen slowly in autumn. Plums and pears are sweet. Figs need heat.',
  'THE HARBOUR',
  'Boats sail from the quay at dawn. Nets dry on the quay.',
  'THE MARKET',
  'Pears, pears and more pears fill the market stalls today.',
].join('\n\n');

/** Passage labels as the build makes them: three sentences a window, two shared with the next; a window a section. */
export const P0 = 'orchard.txt:13-96';
export const P1 = 'orchard.txt:40-112';
export const P2 = 'orchard.txt:127-182';
export const P3 = 'orchard.txt:196-253';

/** The chunking the orchard's numbers are worked for. */
export const ORCHARD_CHUNKING = { words: 14, overlap: 10, maxTokens: 512 };

export const SETTINGS: SearchSettings = { depth: 50, keywordShare: { min: 0.2, max: 0.6, midpoint: 0.3 }, dedup: true, bm25: { k1: 1.5, b: 0.75 } };

/** Builds the orchard into `store` (its corpus folder under `root`) and opens a search engine on it. */
export async function orchardOn(store: IndexStore, root: string): Promise<SearchEngine> {
  const embedder = fixedEmbedder(SENTENCES, QUERIES);
  const corpusDir = await writeCorpus(root, { 'orchard.txt': DOCUMENT });
  await buildIndex(embedder, { corpusDir, store, model: 'fixed', chunking: ORCHARD_CHUNKING, hnsw: { M: 16, efConstruction: 100 } });
  return createSearchEngine(await store.open({ expect: embedder, efSearch: 100 }), embedder, SETTINGS);
}

/** A search engine over the orchard, built under `root`. */
export async function orchardEngine(root: string): Promise<SearchEngine> {
  const embedder = fixedEmbedder(SENTENCES, QUERIES);
  const corpusDir = await writeCorpus(root, { 'orchard.txt': DOCUMENT });
  const indexDir = path.join(root, 'index');
  const store = createFilesStore(indexDir);
  await buildIndex(embedder, { corpusDir, store, model: 'fixed', chunking: ORCHARD_CHUNKING, hnsw: { M: 16, efConstruction: 100 } });
  return createSearchEngine(await store.open({ expect: embedder, efSearch: 100 }), embedder, SETTINGS);
}

/**
 * The orchard's engine for the tests of the calling `describe`: built in a temporary folder before them, the folder
 * removed after. Call the returned function inside a test.
 */
export function useOrchard(): () => SearchEngine {
  let root: string;
  let engine: SearchEngine | undefined;
  beforeAll(async () => {
    root = await tempDir();
    engine = await orchardEngine(root);
  });
  afterAll(() => removeDir(root));
  return () => engine!;
}
