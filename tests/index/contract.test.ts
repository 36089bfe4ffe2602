// The store contract: the files store, the Postgres store on the development database (PGlite) and on a real
// PostgreSQL with pgvector (when TEST_DATABASE_URL names one) give the same answers to every question a query and a
// change ask of them, on the orchard whose numbers are known, and change by the document alike.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { buildIndex } from '../../src/index/build.js';
import { scoreBlocks } from '../../src/index/keywords.js';
import type { BuildReader } from '../../src/index/store.js';
import { textHash } from '../../src/index/segment.js';
import { rank } from '../../src/search/rank.js';
import { search } from '../../src/search/search.js';
import { fixedEmbedder } from '../helpers/fixed-embedder.js';
import { DOCUMENT, ORCHARD_CHUNKING, P0, P1, P2, P3, QUERIES, SENTENCES, orchardOn } from '../helpers/orchard.js';
import { writeCorpus } from '../helpers/real.js';
import { STORE_KINDS, useStores } from '../helpers/stores.js';

const root = () => mkdtemp(path.join(os.tmpdir(), 'ps-contract-'));
const h = 0.5;
const BM25 = { k1: 1.5, b: 0.75 };

/** Every passage of a reader's version by id, and the label it has there. */
async function labelsById(reader: BuildReader, query: Float32Array): Promise<Map<string, number>> {
  const labels = await reader.nearest(query, 100);
  const records = await reader.passages(labels);
  return new Map(labels.map((l) => [records.get(l)!.id, l]));
}

describe.each(STORE_KINDS)('the %s store', (kind) => {
  const stores = useStores();

  it('has no current version before the first, and says INDEX_NOT_READY', async () => {
    const store = await stores.fresh(kind);
    expect(await store.currentName()).toBeNull();
    expect(await store.currentManifest()).toBeNull();
    const embedder = fixedEmbedder(SENTENCES, QUERIES);
    await expect(store.open({ expect: embedder, efSearch: 50 })).rejects.toMatchObject({ code: 'INDEX_NOT_READY' });
  });

  it("answers the reader's questions as the orchard's numbers say", async () => {
    const store = await stores.fresh(kind);
    const engine = await orchardOn(store, await root());
    const reader = engine.reader;
    expect(await store.currentName()).toBe(reader.name);
    expect(reader.manifest.passages).toBe(4);
    // Nearest by cosine: the query equals the market sentence's vector, P3's only sentence.
    const market = Float32Array.from([h, h, -h, h]);
    const byId = await labelsById(reader, market);
    expect([...byId.keys()].sort()).toEqual([P0, P1, P2, P3].sort());
    expect(await reader.nearest(market, 1)).toEqual([byId.get(P3)]);
    expect(await reader.nearest(market, 0)).toEqual([]);
    const records = await reader.passages([byId.get(P3)!, byId.get(P0)!]);
    expect(records.get(byId.get(P0)!)!.id).toBe(P0);
    expect(records.get(byId.get(P3)!)).toMatchObject({ id: P3, text: 'Pears, pears and more pears fill the market stalls today.', block: 2 });
    // Cosines of the query [½,½,½,½] to P0's three sentences: apples 0, ripen 1, plums ½.
    const p0 = records.get(byId.get(P0)!)!;
    const cos = await reader.cosines(
      Float32Array.from([h, h, h, h]),
      p0.sentences.map((s) => s.row),
    );
    expect(p0.sentences.map((s) => cos.get(s.row))).toEqual([0, 1, 0.5]);
    // Keyword blocks: each section one block; the orchard's two passages share one.
    const keyword = await scoreBlocks(reader.keywords, 'when do pears ripen', 10, BM25);
    const passagesOf = await reader.keywords.blockPassages(keyword.hits.map((x) => x.block));
    expect(keyword.hits.map((x) => passagesOf.get(x.block)!.map((l) => [...byId].find(([, v]) => v === l)![0]))).toEqual([[P0, P1], [P3]]);
    expect(keyword.hits[0].score).toBeCloseTo(1.379142946459583, 9);
    expect(keyword.hits[1].score).toBeCloseTo(0.8355620075479745, 9);
    expect(keyword.coverage).toBeCloseTo(1, 12);
    expect(keyword.queryIdf).toBeCloseTo(1.4508328822574619, 12);
    const partial = await scoreBlocks(reader.keywords, 'pears and zebras', 1, BM25);
    expect((await reader.keywords.blockPassages([partial.hits[0].block])).get(partial.hits[0].block)).toEqual([byId.get(P3)]);
    expect(partial.coverage).toBeCloseTo(0.1843552607468321, 12);
    expect(await scoreBlocks(reader.keywords, 'the of and', 10, BM25)).toEqual({ hits: [], coverage: 0, queryIdf: 0 });
    expect(await reader.keywords.stats()).toEqual({ blocks: 3, totalLength: 28 });
  });

  it('ranks as the golden test pins it, and answers with the same hits', async () => {
    const engine = await orchardOn(await stores.fresh(kind), await root());
    const ranking = await rank(engine, 'when do pears ripen');
    expect(ranking.share).toBeCloseTo(0.5999999999252066, 9);
    const ids = ranking.candidates.map((c) => ranking.passages.get(c.label)!.id);
    expect(ids.slice(0, 2).sort()).toEqual([P0, P1]);
    expect(ids.slice(2)).toEqual([P3, P2]);
    expect(ranking.candidates.map((c) => c.score)).toEqual(
      [0.9703522287098727, 0.9703522287098727, 0.5455513110100438, 0.2000000000373967].map((x) => expect.closeTo(x, 9)),
    );
    expect((await search(engine, 'figs and apples', { k: 10 })).hits.map((x) => x.id)).toEqual([P0, P2, P3]);
  });

  it("knows the current version's sentences by hash: token counts always, vectors when asked", async () => {
    const store = await stores.fresh(kind);
    await orchardOn(store, await root());
    const hashes = Object.keys(SENTENCES).map((s) => textHash(s).toString('hex'));
    const known = await store.knownSentences([...hashes, textHash('never indexed').toString('hex')], true);
    expect(known.size).toBe(7);
    expect(known.get(hashes[1])).toMatchObject({ tokens: 5, vector: Float32Array.from([h, h, h, h]) });
    const counts = await store.knownSentences(hashes, false);
    expect([...counts.values()].every((k) => k.vector === undefined && k.tokens > 2)).toBe(true);
    // A second build of the same text embeds nothing, and reads nothing again: it is up to date.
    const embedder = fixedEmbedder(SENTENCES, QUERIES);
    const dir = await root();
    const again = await buildIndex(embedder, {
      corpusDir: await writeCorpus(dir, { 'orchard.txt': DOCUMENT }),
      store,
      model: 'fixed',
      chunking: ORCHARD_CHUNKING,
      hnsw: { M: 16, efConstruction: 100 },
    });
    expect(again).toMatchObject({ upToDate: true, embedded: 0, extracted: 0 });
    // Forced, it makes every passage again, with every vector from the index.
    const forced = await buildIndex(embedder, {
      corpusDir: path.join(dir, 'corpus'),
      store,
      model: 'fixed',
      chunking: ORCHARD_CHUNKING,
      hnsw: { M: 16, efConstruction: 100 },
      force: true,
    });
    expect(forced).toMatchObject({ rebuilt: true, embedded: 0, reused: 7, extracted: 0, reusedFiles: 1 });
    expect(await store.currentName()).toBe(forced.name);
  });

  it("keeps each document's extracted text, for /view and for a rebuild", async () => {
    const store = await stores.fresh(kind);
    const engine = await orchardOn(store, await root());
    const doc = await engine.reader.document('orchard.txt');
    expect(doc).toMatchObject({ source: 'orchard.txt', format: 'text', text: DOCUMENT, sha256: createHash('sha256').update(DOCUMENT).digest('hex') });
    expect(await engine.reader.document('missing.txt')).toBeNull();
    expect([...(await store.documents()).entries()]).toEqual([['orchard.txt', doc]]);
    expect((await store.documents(['missing.txt'])).size).toBe(0);
  });

  it('changes by the document: an edit, an addition and a removal, each one new version, the rest as it was', async () => {
    const store = await stores.fresh(kind);
    const dir = await root();
    const engine = await orchardOn(store, dir);
    const corpusDir = path.join(dir, 'corpus');
    const embedder = fixedEmbedder({ ...SENTENCES, 'Nets are mended in winter.': [0, 1, 0, 0], 'Figs need heat.': [0, 0, 1, 0] }, QUERIES);
    const options = { corpusDir, store, model: 'fixed', chunking: ORCHARD_CHUNKING, hnsw: { M: 16, efConstruction: 100 } };
    await writeFile(path.join(corpusDir, 'nets.txt'), 'Nets are mended in winter.');
    const added = await buildIndex(embedder, options);
    expect(added).toMatchObject({ rebuilt: false, changed: 1, removed: 0, extracted: 1, embedded: 1 });
    expect(added.manifest.documents.map((d) => [d.source, d.passages, d.origin])).toEqual([
      ['nets.txt', 1, 'folder'],
      ['orchard.txt', 4, 'folder'],
    ]);
    const after = await store.open({ expect: embedder, efSearch: 100 }, engine.reader);
    expect(after.name).toBe(added.name);
    expect(Number(after.name.slice(1))).toBe(Number(engine.reader.name.slice(1)) + 1);
    expect((await after.keywords.stats()).blocks).toBe(4);
    await writeFile(path.join(corpusDir, 'nets.txt'), 'Figs need heat.');
    const edited = await buildIndex(embedder, options);
    expect(edited).toMatchObject({ changed: 1, removed: 1, embedded: 0 });
    await rm(path.join(corpusDir, 'nets.txt'));
    const removed = await buildIndex(embedder, options);
    expect(removed).toMatchObject({ changed: 0, removed: 1 });
    const last = await store.open({ expect: embedder, efSearch: 100 }, after);
    expect(last.manifest.documents.map((d) => d.source)).toEqual(['orchard.txt']);
    expect(await last.keywords.stats()).toEqual({ blocks: 3, totalLength: 28 });
    expect((await last.nearest(Float32Array.from([0, 1, 0, 0]), 10)).length).toBe(4);
  });

  it('refuses a reader for another embedder, given at once or still loading', async () => {
    const store = await stores.fresh(kind);
    const { embedder } = await orchardOn(store, await root());
    const other = { modelId: 'fixed', dimension: 4, fingerprint: JSON.stringify(['fixed', 'cls']) };
    await expect(store.open({ expect: other, efSearch: 50 })).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
    // A server loads its model and its index together: the index is checked once the model is there.
    const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 20));
    await expect(store.open({ expect: later(other), efSearch: 50 })).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
    const reader = await store.open({ expect: later(embedder), efSearch: 50 });
    expect(reader.manifest.passages).toBeGreaterThan(0);
  });

  it('lets one change hold the lock, and a change stopped while saving leaves the current version as it was', async () => {
    const store = await stores.fresh(kind);
    await orchardOn(store, await root());
    const before = await store.currentName();
    const release = await store.lock();
    await expect(store.lock()).rejects.toMatchObject({ code: 'BUILD_IN_PROGRESS' });
    await release();
    const stop = new AbortController();
    const embedder = fixedEmbedder(SENTENCES, QUERIES);
    const corpusDir = await writeCorpus(await root(), { 'orchard.txt': DOCUMENT });
    const building = buildIndex(embedder, {
      corpusDir,
      store,
      model: 'fixed',
      chunking: { words: 30, overlap: 10, maxTokens: 512 },
      hnsw: { M: 16, efConstruction: 100 },
      signal: stop.signal,
      onStage: (stage) => stage === 'save' && stop.abort(new Error('stopped')),
    });
    await expect(building).rejects.toThrow('stopped');
    expect(await store.currentName()).toBe(before);
    await (await store.lock())();
  });
});
