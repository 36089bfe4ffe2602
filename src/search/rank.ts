// Query → both sides' candidates → fused ranking: embeds the question, takes the vector and the keyword candidates
// from the build's reader, and scores each passage by the closest of its sentences and by its block's keywords.
import { scoreBlocks } from '../index/keywords.js';
import type { PassageRecord, SourceFilter } from '../index/store.js';
import { checkFinite } from '../model/embedder.js';
import { checkDeadline } from './deadline.js';
import type { SearchEngine } from './engine.js';
import { fuseCandidates, keywordShare, type Candidate } from './fusion.js';

export interface SearchTimings {
  embedMs: number;
  vectorMs: number;
  lexicalMs: number;
  fusionMs: number;
}

/** The fused candidates of a query, best first, and what the rest of a search needs from their making. */
export interface Ranking {
  candidates: Candidate[];
  /** The candidates' passage records, by label. */
  passages: Map<number, PassageRecord>;
  /** The keyword share the query's coverage gave. */
  share: number;
  /** Cosine of the query to a sentence row of a candidate. */
  cosine: (row: number) => number;
  /** The query's vector, so that a deeper ranking of the same query need not embed it again. */
  vector: Float32Array;
  /** Whether the vector side ran out of passages before `depth`: a deeper ranking would find nothing more. */
  exhausted: boolean;
  timings: SearchTimings;
}

export interface RankOptions {
  /** Candidates taken from each side; the engine's setting when absent. */
  depth?: number;
  /** Only passages of these documents. */
  filter?: SourceFilter;
  /** The query's vector, when it was embedded before. */
  vector?: Float32Array;
  signal?: AbortSignal;
}

/**
 * The meaning score of a passage: the cosine of its closest sentence to the query. A passage answers with one
 * sentence; its other sentences, which are about something else, should not pull it down.
 */
export function meaningOf(passage: PassageRecord, cosine: (row: number) => number): number {
  let best = -Infinity;
  for (const s of passage.sentences) best = Math.max(best, cosine(s.row));
  return best;
}

/**
 * The keyword side: the best blocks' passages, whole blocks at a time, until there are `depth` of them (a long
 * paragraph has many), each scored by its block's BM25 over the query's IDF sum; and the query's coverage.
 */
export async function keywordCandidates(
  engine: SearchEngine,
  query: string,
  depth: number,
  filter?: SourceFilter,
): Promise<{ hits: { label: number; score: number }[]; coverage: number }> {
  const { keywords } = engine.reader;
  const found = await scoreBlocks(keywords, query, depth, engine.settings.bm25, filter);
  const passages = found.hits.length ? await keywords.blockPassages(found.hits.map((h) => h.block)) : new Map<number, number[]>();
  const hits: { label: number; score: number }[] = [];
  for (const block of found.hits) {
    if (hits.length >= depth) break;
    for (const label of passages.get(block.block) ?? []) hits.push({ label, score: block.score / found.queryIdf });
  }
  return { hits, coverage: found.coverage };
}

/** Runs `work`, adding its time in milliseconds to `into[key]`. */
async function timed<T>(into: SearchTimings, key: keyof SearchTimings, work: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await work();
  } finally {
    into[key] += performance.now() - t;
  }
}

/** Rankings deeper than this many candidates give the event loop a turn between their steps. */
const YIELD_ABOVE = 500;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Embeds the query, takes both sides' candidates and fuses them. `signal` stops the work of a request given up on. */
export async function rank(engine: SearchEngine, query: string, options: RankOptions = {}): Promise<Ranking> {
  const { reader, settings } = engine;
  const { signal, filter } = options;
  const depth = Math.min(options.depth ?? settings.depth, reader.manifest.passages);
  const timings: SearchTimings = { embedMs: 0, vectorMs: 0, lexicalMs: 0, fusionMs: 0 };
  const queryVector = options.vector ?? (await timed(timings, 'embedMs', () => engine.embedder.embedQueries([query], { signal })))[0];
  checkDeadline(signal);
  checkFinite(queryVector, engine.embedder.modelId);

  const [vectorLabels, keyword] = await Promise.all([
    timed(timings, 'vectorMs', () => reader.nearest(queryVector, depth, filter)),
    timed(timings, 'lexicalMs', () => keywordCandidates(engine, query, depth, filter)),
  ]);
  checkDeadline(signal);
  // Between the steps of a deep ranking, a turn of the event loop: /health and other requests are answered meanwhile.
  if (depth > YIELD_ABOVE) await nextTurn();

  return timed(timings, 'fusionMs', async () => {
    const labels = [...new Set([...vectorLabels, ...keyword.hits.map((h) => h.label)])];
    const passages = await reader.passages(labels);
    const rows = [...new Set([...passages.values()].flatMap((p) => p.sentences.map((s) => s.row)))];
    const cosines = await reader.cosines(queryVector, rows);
    if (depth > YIELD_ABOVE) await nextTurn();
    const cosine = (row: number) => cosines.get(row)!;
    const share = keywordShare(keyword.coverage, settings.keywordShare);
    const candidates = fuseCandidates(vectorLabels, keyword.hits, (label) => meaningOf(passages.get(label)!, cosine), share);
    return { candidates, passages, share, cosine, vector: queryVector, exhausted: vectorLabels.length < depth || depth >= reader.manifest.passages, timings };
  });
}
