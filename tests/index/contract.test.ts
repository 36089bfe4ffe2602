// The store contract: the files store and the Postgres store (a real PostgreSQL with pgvector, through the pg driver)
// give the same answers to every question a query and a build ask of them, on the orchard whose numbers are known.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { EXTRACTOR_VERSION } from '../../src/ingest/document.js';
import { reuseKey } from '../../src/ingest/extract.js';
import { buildIndex } from '../../src/index/build.js';
import { rank } from '../../src/search/rank.js';
import { search } from '../../src/search/search.js';
import { fixedEmbedder } from '../helpers/fixed-embedder.js';
import { DOCUMENT, ORCHARD_CHUNKING, P0, P1, P2, P3, QUERIES, SENTENCES, orchardOn } from '../helpers/orchard.js';
import { writeCorpus } from '../helpers/real.js';
import { useStores, type StoreKind } from '../helpers/stores.js';

const KINDS: StoreKind[] = ['files', 'postgres'];
const root = () => mkdtemp(path.join(os.tmpdir(), 'ps-contract-'));
const h = 0.5;

describe.each(KINDS)('the %s store', (kind) => {
  const stores = useStores();

  it('has no current build before the first, and says INDEX_NOT_READY', async () => {
    const store = await stores.fresh(kind);
    expect(await store.currentName()).toBeNull();
    expect(await store.currentManifest()).toBeNull();
    const embedder = fixedEmbedder(SENTENCES, QUERIES);
    await expect(store.open({ expect: embedder, efSearch: 50, bm25: { k1: 1.5, b: 0.75, delta: 0 } })).rejects.toMatchObject({ code: 'INDEX_NOT_READY' });
  });

  it('answers the reader\'s four questions as the orchard\'s numbers say', async () => {
    const store = await stores.fresh(kind);
    const engine = await orchardOn(store, await root());
    const reader = engine.reader;
    expect(await store.currentName()).toBe(reader.name);
    expect(reader.manifest.passages).toBe(4);
    // Nearest by cosine: the query equals the market sentence's vector, P3's only sentence.
    expect((await reader.nearest(Float32Array.from([h, h, -h, h]), 1))).toEqual([3]);
    // Asked for more than there are: all of them; for none: none.
    expect((await reader.nearest(Float32Array.from([h, h, -h, h]), 10)).sort()).toEqual([0, 1, 2, 3]);
    expect(await reader.nearest(Float32Array.from([h, h, -h, h]), 0)).toEqual([]);
    const cos = await reader.cosines(Float32Array.from([h, h, h, h]), [0, 1, 2, 3, 4, 5, 6]);
    expect([...cos.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)).toEqual([0, 1, 0.5, 0.5, 0, 0.5, 0.5]);
    const passages = await reader.passages([3, 0]);
    expect(passages.get(0)!.id).toBe(P0);
    expect(passages.get(3)).toMatchObject({ id: P3, text: 'Pears, pears and more pears fill the market stalls today.', block: 2 });
    const keyword = await reader.keywordBlocks('when do pears ripen', 10);
    // Each section is one keyword block: the orchard's two passages share one.
    expect(keyword.hits.map((x) => ({ block: x.block, passages: x.passages }))).toEqual([
      { block: 0, passages: [0, 1] },
      { block: 2, passages: [3] },
    ]);
    expect(keyword.hits[0].score).toBeCloseTo(1.379142946459583, 9);
    expect(keyword.hits[1].score).toBeCloseTo(0.8355620075479745, 9);
    expect(keyword.coverage).toBeCloseTo(1, 12);
    expect(keyword.queryIdf).toBeCloseTo(1.4508328822574619, 12);
    const partial = await reader.keywordBlocks('pears and zebras', 1);
    expect(partial.hits.map((x) => x.block)).toEqual([2]);
    expect(partial.coverage).toBeCloseTo(0.1843552607468321, 12);
    expect(await reader.keywordBlocks('the of and', 10)).toEqual({ hits: [], coverage: 0, queryIdf: 0 });
  });

  it('ranks as the golden test pins it, and answers with the same hits', async () => {
    const engine = await orchardOn(await stores.fresh(kind), await root());
    const ranking = await rank(engine, 'when do pears ripen');
    expect(ranking.share).toBeCloseTo(0.5999999999252066, 9);
    const ids = ranking.candidates.map((c) => ranking.passages.get(c.label)!.id);
    expect(ids).toEqual([P0, P1, P3, P2]);
    expect(ranking.candidates.map((c) => c.score)).toEqual([0.9703522287098727, 0.9703522287098727, 0.5455513110100438, 0.2000000000373967].map((x) => expect.closeTo(x, 9)));
    expect((await search(engine, 'figs and apples', { k: 10 })).hits.map((x) => x.id)).toEqual([P0, P2, P3]);
  });

  it('offers the vectors and token counts of the current build for reuse, under the same embedder only', async () => {
    const store = await stores.fresh(kind);
    await orchardOn(store, await root());
    const embedder = fixedEmbedder(SENTENCES, QUERIES);
    const rows = await store.reusableRows(embedder.fingerprint);
    expect(rows.size).toBe(7);
    for (const row of rows.values()) {
      expect(row.tokens).toBeGreaterThan(2);
      expect(row.vector).toHaveLength(4);
    }
    // Another pooling of the same model: token counts yes, vectors no.
    const other = await store.reusableRows(JSON.stringify(['fixed', 'cls']));
    expect([...other.values()].every((r) => r.vector === undefined && r.tokens! > 2)).toBe(true);
    // A second build of the same text embeds nothing.
    const dir = await root();
    const again = await buildIndex(embedder, { corpusDir: await writeCorpus(dir, { 'orchard.txt': DOCUMENT }), store, model: 'fixed', chunking: ORCHARD_CHUNKING, hnsw: { M: 16, efConstruction: 100 } });
    expect(again).toMatchObject({ embedded: 0, reused: 7, extracted: 0, reusedFiles: 1 });
    expect(await store.currentName()).toBe(again.name);
  });

  it('keeps each document\'s extracted text: for /view, and for the next build under the same readers only', async () => {
    const store = await stores.fresh(kind);
    const engine = await orchardOn(store, await root());
    const doc = await engine.reader.document('orchard.txt');
    expect(doc).toMatchObject({ source: 'orchard.txt', format: 'text', text: DOCUMENT, sha256: createHash('sha256').update(DOCUMENT).digest('hex') });
    expect(await engine.reader.document('missing.txt')).toBeNull();
    const reusable = await store.reusableDocuments(EXTRACTOR_VERSION);
    expect([...reusable.entries()]).toEqual([[reuseKey(doc!), doc]]);
    expect((await store.reusableDocuments(EXTRACTOR_VERSION + 1)).size).toBe(0);
  });

  it('refuses a reader for another embedder', async () => {
    const store = await stores.fresh(kind);
    await orchardOn(store, await root());
    const other = { modelId: 'fixed', dimension: 4, fingerprint: JSON.stringify(['fixed', 'cls']) };
    await expect(store.open({ expect: other, efSearch: 50, bm25: { k1: 1.5, b: 0.75, delta: 0 } })).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
  });

  it('lets one build hold the lock, and a build stopped while saving leaves the current build as it was', async () => {
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
