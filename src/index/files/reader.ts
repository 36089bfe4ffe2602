// A build of the files store, loaded into memory: HNSW for the vector side, BM25 over typed-array postings for the
// keyword side, sentence vectors in one array. Every answer is computed here, synchronously.
import path from 'node:path';
import { blocksOf } from '../blocks.js';
import { createLexicalIndex, type Bm25Params } from '../lexical.js';
import type { BuildReader, PassageRecord } from '../store.js';
import type { LoadedIndex } from './store.js';

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

/** A reader over a loaded build; `bm25` sets the keyword side's parameters. */
export function createFilesReader(index: LoadedIndex, bm25: Bm25Params): BuildReader & { index: LoadedIndex } {
  const blocks = blocksOf(index.passages);
  const lexical = createLexicalIndex(blocks.texts, bm25);
  return {
    index,
    name: path.basename(index.dir),
    manifest: index.manifest,
    async nearest(query, k) {
      return k > 0 ? index.hnsw.searchKnn(Array.from(query), Math.min(k, index.passages.length)).neighbors : [];
    },
    async keywordBlocks(query, depth) {
      const found = lexical.searchWithCoverage(query, depth);
      return { hits: found.hits.map((h) => ({ block: h.label, score: h.score, passages: blocks.passages[h.label] })), coverage: found.coverage, queryIdf: found.queryIdf };
    },
    async passages(labels) {
      return new Map(labels.map((label) => [label, index.passages[label]] as [number, PassageRecord]));
    },
    async cosines(query, rows) {
      return new Map(rows.map((row) => [row, dot(query, index.textVectors, row)]));
    },
  };
}
