// Searching within a corpus, in both stores: a `source` glob applied inside both sides (so a narrow filter still gives
// k hits where a filter after the search would give none), paging by offset, and at most so many hits a document.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { scoreBlocks } from '../../src/index/keywords.js';
import type { BuildReader, IndexStore, PassageRecord } from '../../src/index/store.js';
import type { Embedder } from '../../src/model/embedder.js';
import { createSearchEngine, type SearchEngine } from '../../src/search/engine.js';
import { calibrationOf, search } from '../../src/search/search.js';
import { matchSources } from '../../src/search/sources.js';
import { pdfBytes, writeFiles } from '../helpers/documents.js';
import { realEmbedder, tempDir, writeCorpus } from '../helpers/real.js';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores.js';

const BM25 = { k1: 1.5, b: 0.75 };
const QUESTION = 'how do beekeepers harvest honey from the hives';

/** Ten documents about bees, many paragraphs each; one folder of reports about ships, far from the question. */
function corpusFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let d = 0; d < 10; d++) {
    files[`bees/hive-${d}.txt`] = Array.from(
      { length: 8 },
      (_, p) => `Beekeeper ${d} lifts frame ${p} of honey from the hive in summer. The honey is spun out of comb ${p} and poured into jar ${d}-${p}.`,
    ).join('\n\n');
  }
  for (let r = 0; r < 2; r++) {
    const paragraphs = Array.from({ length: 6 }, (_, p) => `Ship ${r}-${p} sailed from the northern harbour with a cargo of timber and iron.`);
    files[`reports/ships-${r}.md`] =
      `---\ntitle: Ship log ${r}\n---\n\n## Departures\n\n${paragraphs.slice(0, 3).join('\n\n')}\n\n## Returns\n\n${paragraphs.slice(3).join('\n\n')}\n`;
  }
  return files;
}

/** The exact ranking of the filter's passages by the cosine of their vector (their sentences' sum over its norm). */
async function exactOrder(reader: SearchEngine['reader'], vector: Float32Array, filter: Set<string>): Promise<number[]> {
  const any = Float32Array.from({ length: reader.manifest.dimension }, (_, i) => (i === 0 ? 1 : 0));
  const labels = await reader.nearest(any, reader.manifest.passages);
  const passages = [...(await reader.passages(labels)).entries()].filter(([, p]) => filter.has(p.source));
  const cosines = await reader.cosines(
    vector,
    passages.flatMap(([, p]) => p.sentences.map((x) => x.row)),
  );
  const cos = (p: PassageRecord) => p.sentences.reduce((sum, x) => sum + cosines.get(x.row)!, 0) / p.norm;
  return passages.sort((a, b) => cos(b[1]) - cos(a[1]) || a[0] - b[0]).map(([label]) => label);
}

describe('source globs', () => {
  const docs = ['a.pdf', 'reports/2024/q1.pdf', 'reports/notes.md', 'reportsX/a.txt', 'notes/.hidden/x.txt'].map((source) => ({ source }));
  it("match a folder's tree, a file name in any folder, and hidden paths", () => {
    expect([...matchSources(docs, 'reports/**')]).toEqual(['reports/2024/q1.pdf', 'reports/notes.md']);
    expect([...matchSources(docs, '*.pdf')]).toEqual(['a.pdf', 'reports/2024/q1.pdf']);
    expect([...matchSources(docs, 'reports/*.md')]).toEqual(['reports/notes.md']);
    expect([...matchSources(docs, 'notes/**')]).toEqual(['notes/.hidden/x.txt']);
    expect([...matchSources(docs, '{a.pdf,reportsX/**}')]).toEqual(['a.pdf', 'reportsX/a.txt']);
    expect(matchSources(docs, 'nothing/**').size).toBe(0);
  });

  it('refuse a pattern too long to be meant, naming the parameter', () => {
    expect(() => matchSources(docs, '*'.repeat(501))).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', issues: [{ path: 'source', message: 'not a usable glob: longer than 500 characters' }] }),
    );
    expect(matchSources(docs, `${'a'.repeat(496)}.pdf`).size).toBe(0);
  });
});

describe.each<StoreKind>(STORE_KINDS)('searching within a corpus, %s store', (kind) => {
  const stores = useStores();
  let engine: SearchEngine;
  let store: IndexStore;
  let corpusDir: string;
  let root: string;

  beforeAll(async () => {
    root = await tempDir();
    store = await stores.fresh(kind);
    const embedder = await realEmbedder();
    corpusDir = await writeCorpus(root, corpusFiles());
    await writeFiles(corpusDir, {
      'reports/manifest.pdf': await pdfBytes([['Cargo manifest of the autumn fleet.'], ['Timber, iron and salt were loaded at the northern harbour.']], {
        title: 'Fleet manifest',
      }),
    });
    await buildIndex(embedder, {
      corpusDir,
      store,
      model: 'use-lite',
      chunking: { words: 12, overlap: 4, maxTokens: 128 },
      hnsw: { M: 16, efConstruction: 100 },
    });
    // A shallow search (10 candidates a side): the ship reports are nowhere near the top of the bees.
    const reader = await store.open({ expect: embedder, efSearch: 10 });
    engine = createSearchEngine(reader, embedder, { depth: 10, keywordShare: { min: 0.2, max: 0.6, midpoint: 0.3 }, dedup: true, bm25: BM25 });
  }, 120_000);

  it("gives k hits of the filter's documents though none of them ranks near the top", async () => {
    const unfiltered = await search(engine, QUESTION, { k: 10 });
    expect(unfiltered.hits.every((h) => h.source.startsWith('bees/'))).toBe(true);
    const { hits } = await search(engine, QUESTION, { k: 5, source: 'reports/**' });
    expect(hits).toHaveLength(5);
    expect(hits.every((h) => h.source.startsWith('reports/'))).toBe(true);
    // Both sides filter inside: the vector side's nearest and the keyword side's blocks are all of reports/.
    const filter = new Set(['reports/ships-0.md', 'reports/ships-1.md']);
    const vector = (await engine.embedder.embedQueries([QUESTION]))[0];
    const nearest = await engine.reader.passages(await engine.reader.nearest(vector, 5, filter));
    expect([...nearest.values()].map((p) => p.source.split('/')[0])).toEqual(['reports', 'reports', 'reports', 'reports', 'reports']);
    const keyword = await scoreBlocks(engine.reader.keywords, 'harbour timber', 3, BM25, new Set(['reports/ships-1.md']));
    const passagesOf = await engine.reader.keywords.blockPassages(keyword.hits.map((b) => b.block));
    const blocks = await engine.reader.passages([...passagesOf.values()].flat());
    // Its two sections of three passages are a keyword block each: all the filter holds, though three were asked for.
    expect(keyword.hits).toHaveLength(2);
    expect(blocks.size).toBe(6);
    expect(new Set([...blocks.values()].map((p) => p.source))).toEqual(new Set(['reports/ships-1.md']));
  });

  it("takes a filter's nearest passages in their exact order, by HNSW as by scoring every one", async () => {
    const vector = (await engine.embedder.embedQueries(['cargo of timber and iron from the harbour']))[0];
    for (const filter of [new Set(['reports/ships-0.md', 'reports/ships-1.md']), new Set(['bees/hive-3.txt', 'reports/ships-1.md'])]) {
      const exact = await exactOrder(engine.reader, vector, filter);
      expect(await engine.reader.nearest(vector, 5, filter)).toEqual(exact.slice(0, 5));
    }
    if (kind !== 'files') return;
    // The same through the graph: an index whose every segment has one and is searched by it, filter or no filter.
    const graphStore = createFilesStore(`${root}/graph-index`, { exactSearchMax: 0 });
    await buildIndex(engine.embedder as Embedder, {
      corpusDir,
      store: graphStore,
      model: 'use-lite',
      chunking: { words: 12, overlap: 4, maxTokens: 128 },
      hnsw: { M: 16, efConstruction: 100 },
    });
    const graph = await graphStore.open({ expect: engine.embedder, efSearch: 50 });
    for (const filter of [new Set(['reports/ships-0.md', 'reports/ships-1.md']), new Set(['bees/hive-3.txt', 'reports/ships-1.md'])]) {
      const exact = await exactOrder(graph, vector, filter);
      expect(await graph.nearest(vector, 5, filter)).toEqual(exact.slice(0, 5));
      expect(await graph.nearest(vector, 0, filter)).toEqual([]);
    }
  });

  it('takes the ranking again, deeper, only when more hits could come of it', async () => {
    // The index's confidence threshold is made by its first search: made here, so that only the searches below count.
    await calibrationOf(engine);
    let calls = 0;
    const reader = engine.reader;
    // Counted inside the search's snapshot too: a database's reader reads through another within it.
    const count = (r: BuildReader): BuildReader => ({
      ...r,
      nearest: (...args) => (calls++, r.nearest(...args)),
      snapshot: (work) => r.snapshot((inner) => work({ ...inner, nearest: (...args) => (calls++, inner.nearest(...args)) })),
    });
    const counting = { ...engine, reader: count(reader) };
    // Cut by the score: deeper candidates score lower still.
    expect((await search(counting, QUESTION, { k: 10, minScore: 0.9 })).hits.length).toBeLessThan(10);
    expect(calls).toBe(1);
    calls = 0;
    await search(counting, QUESTION, { k: 10 });
    expect(calls).toBe(1);
    calls = 0;
    // Ten documents' best passages are not all among the first ten candidates: taken again, deeper.
    expect((await search(counting, QUESTION, { k: 10, perSource: 1 })).hits).toHaveLength(10);
    expect(calls).toBeGreaterThan(1);
    // A grouped page past what the documents can give is empty, known without a search.
    calls = 0;
    const documents = reader.manifest.documents.length;
    expect((await search(counting, QUESTION, { k: 50, offset: documents, perSource: 1 })).hits).toEqual([]);
    expect(calls).toBe(0);
    // The last grouped page holds the documents left: one each.
    const last = await search(counting, QUESTION, { k: 50, offset: documents - 2, perSource: 1 });
    expect(last.hits).toHaveLength(2);
  });

  it('says where each hit is: the title, the page of a PDF, the section of Markdown', async () => {
    const { hits } = await search(engine, 'timber iron and salt loaded at the harbour', { k: 1, source: '*.pdf' });
    expect(hits[0]).toMatchObject({ source: 'reports/manifest.pdf', title: 'Fleet manifest', page: 2 });
    expect(hits[0]).not.toHaveProperty('section');
    const ship = await search(engine, 'Ship 1-4 sailed from the northern harbour', { k: 1, source: 'reports/ships-1.md' });
    expect(ship.hits[0]).toMatchObject({ title: 'Ship log 1', section: 'Returns' });
    expect(ship.hits[0]).not.toHaveProperty('page');
    const bees = await search(engine, QUESTION, { k: 1 });
    expect(Object.keys(bees.hits[0]).sort()).toEqual(['confident', 'end', 'highlight', 'id', 'score', 'source', 'start', 'text']);
  });

  it('gives all a narrow filter holds when that is fewer than k, and nothing for a filter that matches nothing', async () => {
    const { hits } = await search(engine, QUESTION, { k: 50, source: 'ships-0.md' });
    expect(hits.map((h) => h.source)).toEqual(Array(6).fill('reports/ships-0.md'));
    expect((await search(engine, QUESTION, { k: 50, source: 'reports/**' })).hits).toHaveLength(14);
    expect((await search(engine, QUESTION, { k: 5, source: 'nowhere/**' })).hits).toEqual([]);
  });

  it('pages with offset: hits 6–10 are the second half of the first ten', async () => {
    const ten = await search(engine, QUESTION, { k: 10 });
    const second = await search(engine, QUESTION, { k: 5, offset: 5 });
    expect(second.hits.map((h) => h.id)).toEqual(ten.hits.slice(5).map((h) => h.id));
    // Deeper than the search's own depth still gives full pages.
    const deep = await search(engine, QUESTION, { k: 10, offset: 30 });
    expect(deep.hits).toHaveLength(10);
    const upTo40 = await search(engine, QUESTION, { k: 40 });
    expect(deep.hits.map((h) => h.id)).toEqual(upTo40.hits.slice(30).map((h) => h.id));
  });

  it('groups by document: at most groupSize hits each, best first, still k of them', async () => {
    const one = await search(engine, QUESTION, { k: 8, perSource: 1 });
    expect(one.hits).toHaveLength(8);
    expect(new Set(one.hits.map((h) => h.source)).size).toBe(8);
    const two = await search(engine, QUESTION, { k: 10, perSource: 2 });
    const counts = new Map<string, number>();
    for (const h of two.hits) counts.set(h.source, (counts.get(h.source) ?? 0) + 1);
    expect(two.hits).toHaveLength(10);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    expect(two.hits.map((h) => h.score)).toEqual([...two.hits.map((h) => h.score)].sort((a, b) => b - a));
  });
});
