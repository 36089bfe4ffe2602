// Shared set-up for tests that use the real embedded model and real indexes in temporary folders.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AppDeps } from '../../src/http/app.js';
import type { BuildResult } from '../../src/index/build.js';
import type { PassageRecord } from '../../src/index/store.js';
import type { Embedder } from '../../src/model/embedder.js';
import type { SearchEngine } from '../../src/search/engine.js';
// The model's, the index's and the app's modules are imported when a helper needs them: a test that only wants a
// folder (most of those that run the CLI as a process) does not load them.

export const MODELS_DIR = path.resolve('models');
export const SEED = path.resolve('corpus/us-pakistan-afghanistan.txt');
export const KABUL_QUESTION = 'why does Pakistan want a broad-based Kabul government';
export const KABUL_ANSWER = 'open to a broad-based government in Kabul';

let shared: Promise<Embedder> | null = null;

/** The embedded model, loaded once per test worker. */
export function realEmbedder(): Promise<Embedder> {
  shared ??= import('../../src/model/transformers-embedder.js').then(({ createEmbedder }) =>
    createEmbedder({ model: 'use-lite', modelsDir: MODELS_DIR, batchSize: 32, allowRemote: false }),
  );
  return shared;
}

export async function tempDir(prefix = 'ps-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Writes `files` (name → text) into a new corpus folder under `root`. */
export async function writeCorpus(root: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, 'corpus');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** Builds an index of `corpusDir` into `root/index` with the default settings. */
export async function buildReal(root: string, corpusDir: string, chunking = { words: 12, overlap: 4 }): Promise<BuildResult & { indexDir: string }> {
  const indexDir = path.join(root, 'index');
  const { buildIndex } = await import('../../src/index/build.js');
  const { createFilesStore } = await import('../../src/index/files/files-store.js');
  const result = await buildIndex(await realEmbedder(), {
    corpusDir,
    store: createFilesStore(indexDir),
    model: 'use-lite',
    chunking: { ...chunking, maxTokens: 128 },
    hnsw: { M: 16, efConstruction: 200 },
  });
  return { ...result, indexDir };
}

/** Three short paragraphs on gardening: tomatoes, roses, slugs. */
export const GARDEN =
  'Tomatoes need full sun. They should be watered deeply twice a week. Pinch out side shoots as they appear.\n\n' +
  'Roses are pruned in late winter. Cut just above an outward-facing bud. Feed them after the first flush.\n\n' +
  'Slugs eat young lettuce at night. A ring of grit around each plant keeps them off.';

/**
 * A search engine over a real index of `GARDEN` built under `root`, with the default ranking settings; windows of up to
 * 20 words make each paragraph a passage of its own.
 */
export async function gardenEngine(root: string): Promise<SearchEngine> {
  const { indexDir } = await buildReal(root, await writeCorpus(root, { 'garden.txt': GARDEN }), { words: 20, overlap: 0 });
  const embedder = await realEmbedder();
  const { createFilesStore } = await import('../../src/index/files/files-store.js');
  const { createSearchEngine } = await import('../../src/search/engine.js');
  const reader = await createFilesStore(indexDir).open({ expect: embedder, efSearch: 50 });
  return createSearchEngine(reader, embedder, { depth: 50, keywordShare: { min: 0.2, max: 0.4, midpoint: 0.3 }, dedup: true, bm25: { k1: 1.5, b: 0.75 } });
}

/**
 * A real service over a freshly built index of `files`, and the app over it with every route on (admin included);
 * `deps` override the app's dependencies.
 */
export async function realApp(root: string, files: Record<string, string>, deps: Partial<AppDeps> & Pick<AppDeps, 'limits'>) {
  const corpus = await writeCorpus(root, files);
  const { indexDir } = await buildReal(root, corpus);
  const [{ loadConfig }, { createService }, { createApp }] = await Promise.all([
    import('../../src/config.js'),
    import('../../src/live/service.js'),
    import('../../src/http/app.js'),
  ]);
  const service = await createService(loadConfig({ INDEX_DIR: indexDir, CORPUS_DIR: corpus }, {}), await realEmbedder());
  const app = createApp({
    engine: () => service.engine(),
    health: () => service.health(),
    readDocument: (s) => service.readDocument(s),
    admin: { token: ADMIN_TOKEN, reindex: () => ({ running: false, queued: true, lastStartedAt: null, lastFinishedAt: null, lastError: null }) },
    ...deps,
  });
  return { service, app };
}

export const ADMIN_TOKEN = 'a-test-admin-token-0123456789';

/**
 * A long document made in code: `sentences` distinct sentences in paragraphs of five, so a build of it takes seconds
 * (long enough to be stopped in any step) without any file from outside the project.
 */
export function longDocument(sentences: number): string {
  const who = ['The miller', 'A ferryman', 'The old keeper', 'Her cousin', 'The schoolmaster', 'A travelling tinker', 'The baker', 'Our neighbour'];
  const did = ['mended', 'painted', 'sold', 'carried', 'counted', 'buried', 'polished', 'borrowed', 'weighed', 'hid'];
  const what = ['the blue lantern', 'a sack of barley', 'three copper kettles', 'the chapel bell', 'an oak chest', 'the torn map', 'a basket of pears'];
  const when = ['before dawn', 'on market day', 'after the flood', 'in the long winter', 'during the fair', 'at the turn of the tide'];
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const s = `${who[i % who.length]} ${did[Math.floor(i / who.length) % did.length]} ${what[Math.floor(i / 80) % what.length]} ${when[Math.floor(i / 560) % when.length]}, number ${i}.`;
    out.push(i % 5 === 4 ? `${s}\n\n` : `${s} `);
  }
  return out.join('');
}

/** Every passage of the engine's build, in label order. */
export async function allPassages(engine: Pick<SearchEngine, 'reader'>): Promise<PassageRecord[]> {
  const { reader } = engine;
  // Every passage is among the nearest `passages` to any vector: the labels of the version's live passages.
  const any = Float32Array.from({ length: reader.manifest.dimension }, (_, i) => (i === 0 ? 1 : 0));
  const labels = (await reader.nearest(any, reader.manifest.passages)).sort((a, b) => a - b);
  const found = await reader.passages(labels);
  return labels.map((l) => found.get(l)!);
}
