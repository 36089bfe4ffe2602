// Query → both sides' candidates → fused ranking: embeds the question, takes the vector and the keyword candidates
// and scores each passage by the closest of its sentences and by its block's keywords.
import { checkFinite } from '../model/embedder.js';
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
  /** The keyword share the query's coverage gave. */
  share: number;
  /** Cosine of the query to a sentence vector row. */
  cosine: (row: number) => number;
  timings: SearchTimings;
}

/** Dot product of `a` with row `row` of `vectors` (rows of a.length). */
export function dot(a: Float32Array, vectors: Float32Array, row: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  const tail = n - (n % 4);
  let j = row * n;
  let i = 0;
  // Four lanes at a time: independent sums the CPU can add in parallel.
  for (; i < tail; i += 4, j += 4) {
    s0 += a[i] * vectors[j];
    s1 += a[i + 1] * vectors[j + 1];
    s2 += a[i + 2] * vectors[j + 2];
    s3 += a[i + 3] * vectors[j + 3];
  }
  for (; i < n; i++, j++) s0 += a[i] * vectors[j];
  return s0 + s1 + s2 + s3;
}

/** Cosines of the query to sentence vectors, each computed once per query (overlapping windows share sentences). */
export function sentenceCosines(textVectors: Float32Array, queryVector: Float32Array): (row: number) => number {
  const known = new Map<number, number>();
  return (row) => {
    let cos = known.get(row);
    if (cos === undefined) known.set(row, (cos = dot(queryVector, textVectors, row)));
    return cos;
  };
}

/**
 * The meaning score of a passage: the cosine of its closest sentence to the query. A passage answers with one
 * sentence; its other sentences, which are about something else, should not pull it down.
 */
export function meaningOf(engine: SearchEngine, label: number, cosine: (row: number) => number): number {
  let best = -Infinity;
  for (const s of engine.index.passages[label].sentences) best = Math.max(best, cosine(s.row));
  return best;
}

/**
 * The keyword side: the best blocks' passages, whole blocks at a time, until there are `depth` of them (a long
 * paragraph has many), each scored by its block's BM25 over the query's IDF sum; and the query's coverage.
 */
export function keywordCandidates(engine: SearchEngine, query: string, depth: number): { hits: { label: number; score: number }[]; coverage: number } {
  const lexical = engine.lexical.searchWithCoverage(query, depth);
  const hits: { label: number; score: number }[] = [];
  for (const block of lexical.hits) {
    if (hits.length >= depth) break;
    for (const label of engine.blockPassages[block.label]) hits.push({ label, score: block.score / lexical.queryIdf });
  }
  return { hits, coverage: lexical.coverage };
}

/** Embeds the query, takes both sides' candidates and fuses them. `signal` stops the work of a request given up on. */
export async function rank(engine: SearchEngine, query: string, signal?: AbortSignal): Promise<Ranking> {
  const { index, settings } = engine;
  const depth = Math.min(settings.depth, index.passages.length);
  let t = performance.now();
  const [queryVector] = await engine.embedder.embedQueries([query], { signal });
  signal?.throwIfAborted();
  checkFinite(queryVector, engine.embedder.modelId);
  const embedMs = performance.now() - t;

  t = performance.now();
  const knn = depth > 0 ? index.hnsw.searchKnn(Array.from(queryVector), depth) : { neighbors: [] };
  const vectorMs = performance.now() - t;

  t = performance.now();
  const keyword = keywordCandidates(engine, query, depth);
  const lexicalMs = performance.now() - t;

  t = performance.now();
  const cosine = sentenceCosines(index.textVectors, queryVector);
  const share = keywordShare(keyword.coverage, settings.keywordShare);
  const candidates = fuseCandidates(knn.neighbors, keyword.hits, (label) => meaningOf(engine, label, cosine), share);
  return { candidates, share, cosine, timings: { embedMs, vectorMs, lexicalMs, fusionMs: performance.now() - t } };
}
