// A build of the files store, loaded into memory: HNSW for the vector side, BM25 over typed-array postings for the
// keyword side, sentence vectors in one array. Every answer is computed here, synchronously.
import path from 'node:path';
import { blocksOf } from '../blocks.js';
import { createLexicalIndex, type Bm25Params } from '../lexical.js';
import type { BuildReader, PassageRecord, SourceFilter } from '../store.js';
import { readDocumentAt } from './documents.js';
import type { LoadedIndex } from './store.js';

/** A filter allowing at most this many passages is searched exactly, every allowed passage scored: a few ms. */
export const EXACT_SEARCH_MAX = 4096;

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

/** The cosine of the query to a passage: its vector is the sum of its sentences' over its norm. */
function passageCosine(query: Float32Array, index: LoadedIndex, label: number): number {
  const p = index.passages[label];
  let sum = 0;
  for (const s of p.sentences) sum += dot(query, index.textVectors, s.row);
  return sum / p.norm;
}

/** The `k` passages of `labels` nearest the query, scoring every one: exact. */
function exactNearest(query: Float32Array, index: LoadedIndex, labels: number[], k: number): number[] {
  return labels
    .map((label) => ({ label, cos: passageCosine(query, index, label) }))
    .sort((a, b) => b.cos - a.cos || a.label - b.label)
    .slice(0, k)
    .map((x) => x.label);
}

/**
 * Nearest passages of the filter's documents: few passages are scored exactly; many go through HNSW with the filter
 * inside its search, and exactly after all should it come back short (a narrow filter can strand the graph's walk).
 */
function filteredNearest(query: Float32Array, index: LoadedIndex, bySource: Map<string, number[]>, k: number, filter: ReadonlySet<string>, exactMax: number): number[] {
  const allowed = [...filter].flatMap((source) => bySource.get(source) ?? []);
  const want = Math.min(k, allowed.length);
  if (want <= 0) return [];
  if (allowed.length <= Math.max(exactMax, k)) return exactNearest(query, index, allowed, want);
  const found = index.hnsw.searchKnn(Array.from(query), want, (label) => filter.has(index.passages[label].source)).neighbors;
  return found.length >= want ? found : exactNearest(query, index, allowed, want);
}

/**
 * A reader over a loaded build; `bm25` sets the keyword side's parameters, `exactSearchMax` the most passages a filter
 * may allow for every one of them to be scored exactly (EXACT_SEARCH_MAX).
 */
export function createFilesReader(index: LoadedIndex, bm25: Bm25Params, exactSearchMax = EXACT_SEARCH_MAX): BuildReader & { index: LoadedIndex } {
  const blocks = blocksOf(index.passages);
  const lexical = createLexicalIndex(blocks.texts, bm25);
  const bySource = new Map<string, number[]>();
  index.passages.forEach((p, label) => (bySource.get(p.source) ?? bySource.set(p.source, []).get(p.source)!).push(label));
  const blockSource = blocks.passages.map((labels) => index.passages[labels[0]].source);
  const documentAt = new Map(index.manifest.documents.map((d, i) => [d.source, i]));
  return {
    index,
    name: path.basename(index.dir),
    manifest: index.manifest,
    async nearest(query, k, filter?: SourceFilter) {
      if (filter) return filteredNearest(query, index, bySource, k, filter, exactSearchMax);
      return k > 0 ? index.hnsw.searchKnn(Array.from(query), Math.min(k, index.passages.length)).neighbors : [];
    },
    async keywordBlocks(query, depth, filter?: SourceFilter) {
      const found = lexical.searchWithCoverage(query, depth, filter && ((block) => filter.has(blockSource[block])));
      return { hits: found.hits.map((h) => ({ block: h.label, score: h.score, passages: blocks.passages[h.label] })), coverage: found.coverage, queryIdf: found.queryIdf };
    },
    async passages(labels) {
      return new Map(labels.map((label) => [label, index.passages[label]] as [number, PassageRecord]));
    },
    async cosines(query, rows) {
      return new Map(rows.map((row) => [row, dot(query, index.textVectors, row)]));
    },
    async document(source) {
      const at = documentAt.get(source);
      return at === undefined ? null : readDocumentAt(path.join(index.dir, 'documents.jsonl'), index.documentLines[at]);
    },
  };
}
