// The keyword side, whole and once: how text becomes terms, the postings a build makes of its blocks, and BM25 with
// coverage over the postings any store hands back. A store keeps the postings as the build made them and reads them
// back for a query's terms; it never scores.
import { stemmer } from 'stemmer';
import { eng } from 'stopword';
import type { SourceFilter } from './manifest.js';

// The package's English list lacks a few function words that questions are full of.
const STOP = new Set([...eng, 'does', 'why', 'when', 'whom', 'whose', 'its', 'itself', 'themselves', 'upon', 'shall']);

/** Lower-cased, stop-word-free, stemmed terms of a text; the same for blocks and queries. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text
    .toLowerCase()
    .normalize('NFKC')
    .matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const word = m[0].replace(/['’]s$/, '').replace(/['’]/g, '');
    if (!word || STOP.has(word)) continue;
    out.push(stemmer(word));
  }
  return out;
}

export interface Bm25Params {
  k1: number;
  b: number;
}

/** Classic BM25 with Lucene's usual k1 and b: the best of the variants measured on SciFact here. */
export const DEFAULT_BM25: Bm25Params = { k1: 1.5, b: 0.75 };

/**
 * The keyword index of a set of blocks as a build makes it: per term (by id), the blocks holding it in ascending order
 * with how often; each block's length in terms. Blocks and terms are numbered from 0 within the set.
 */
export interface KeywordData {
  terms: string[];
  /** Term id → where its postings start in `blocks`/`tfs`; one more entry than terms, the last the total. */
  offsets: Uint32Array;
  blocks: Int32Array;
  tfs: Uint16Array;
  /** Each block's length in terms. */
  lengths: Uint32Array;
}

/** The postings of `texts` (block i is texts[i]), each text analysed once. */
export function keywordDataOf(texts: string[]): KeywordData {
  const ids = new Map<string, number>();
  const building: { blocks: number[]; tfs: number[] }[] = [];
  const lengths = new Uint32Array(texts.length);
  texts.forEach((text, block) => {
    const counts = new Map<string, number>();
    const words = terms(text);
    for (const t of words) counts.set(t, (counts.get(t) ?? 0) + 1);
    lengths[block] = words.length;
    for (const [t, tf] of counts) {
      let id = ids.get(t);
      if (id === undefined) {
        ids.set(t, (id = building.length));
        building.push({ blocks: [], tfs: [] });
      }
      building[id].blocks.push(block);
      building[id].tfs.push(Math.min(tf, 65535));
    }
  });
  const offsets = new Uint32Array(building.length + 1);
  building.forEach((p, id) => (offsets[id + 1] = offsets[id] + p.blocks.length));
  const blocks = new Int32Array(offsets[building.length]);
  const tfs = new Uint16Array(offsets[building.length]);
  building.forEach((p, id) => {
    blocks.set(p.blocks, offsets[id]);
    tfs.set(p.tfs, offsets[id]);
  });
  return { terms: [...ids.keys()], offsets, blocks, tfs, lengths };
}

/** A term's postings over the blocks a search may see, and its document frequency over all live blocks. */
export interface TermPostings {
  /** Live blocks holding the term, whatever the filter: what its IDF counts. */
  df: number;
  /** Calls `visit` for each live block the filter allows that holds the term: its number, the term's count, its length. */
  forEach(visit: (block: number, tf: number, length: number) => void): void;
}

/** What the scorer needs of a store's keyword index, for one consistent version of it. */
export interface PostingSource {
  /** Live blocks, and the sum of their lengths: the corpus-wide statistics BM25 uses. */
  stats(): Promise<{ blocks: number; totalLength: number }>;
  /** The postings of each asked term (absent: no live block holds it), of the filter's documents only. */
  postings(terms: string[], filter?: SourceFilter): Promise<Map<string, TermPostings>>;
  /** One past the highest block number, when blocks are numbered densely (the scorer then uses typed arrays). */
  readonly blockSpace?: number;
}

export interface ScoredBlock {
  block: number;
  score: number;
}

/** Weaker: a lower score, or the same score and a higher block (ties go to the lower block). */
const weaker = (x: ScoredBlock, y: ScoredBlock) => x.score < y.score || (x.score === y.score && x.block > y.block);

/** Keeps the best `depth` blocks offered to it, on a min-heap whose root is the weakest kept. */
export function createTopK(depth: number): { offer(hit: ScoredBlock): void; best(): ScoredBlock[] } {
  const heap: ScoredBlock[] = [];
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j], heap[i]]);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && weaker(heap[l], heap[m])) m = l;
      if (r < heap.length && weaker(heap[r], heap[m])) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  return {
    offer(hit) {
      if (depth <= 0) return;
      if (heap.length < depth) {
        heap.push(hit);
        for (let i = heap.length - 1; i > 0 && weaker(heap[i], heap[(i - 1) >> 1]); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
      } else if (weaker(heap[0], hit)) {
        heap[0] = hit;
        down(0);
      }
    },
    best: () => [...heap].sort((x, y) => y.score - x.score || x.block - y.block),
  };
}

export interface ScoredBlocks {
  /** Best first; ties to the lower block. */
  hits: ScoredBlock[];
  /** The IDF of the query terms the best block holds over the IDF of all of them (unseen terms at the highest IDF). */
  coverage: number;
  /** The sum of the query terms' IDFs, each time asked: the BM25 of an average block holding each term once. */
  queryIdf: number;
}

/** Scores accumulated per block: in typed arrays when blocks are numbered densely, in a map otherwise. */
function createAccumulator(space: number | undefined) {
  if (space === undefined) {
    const scores = new Map<number, number>();
    return { add: (block: number, s: number) => scores.set(block, (scores.get(block) ?? 0) + s), entries: () => scores.entries(), reset: () => scores.clear() };
  }
  const scores = new Float64Array(space);
  const touched: number[] = [];
  return {
    add(block: number, s: number) {
      if (scores[block] === 0) touched.push(block);
      scores[block] += s;
    },
    *entries(): IterableIterator<[number, number]> {
      for (const block of touched) yield [block, scores[block]];
    },
    reset() {
      for (const block of touched) scores[block] = 0;
      touched.length = 0;
    },
  };
}

/**
 * The best `depth` blocks for `query` by classic BM25 (Lucene's IDF; a block's length is its number of terms; a
 * query term asked twice counts twice) over the source's live blocks, of the filter's documents only; the coverage
 * of the best of them and the query's IDF sum. Statistics are corpus-wide whatever the filter.
 */
export async function scoreBlocks(source: PostingSource, query: string, depth: number, params: Bm25Params, filter?: SourceFilter): Promise<ScoredBlocks> {
  const asked = new Map<string, number>();
  for (const t of terms(query)) asked.set(t, (asked.get(t) ?? 0) + 1);
  if (!asked.size) return { hits: [], coverage: 0, queryIdf: 0 };
  const [stats, postings] = await Promise.all([source.stats(), source.postings([...asked.keys()], filter)]);
  const n = stats.blocks;
  const avgLength = n && stats.totalLength ? stats.totalLength / n : 1;
  const idf = (df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
  const { k1, b } = params;
  const scores = createAccumulator(source.blockSpace);
  if (depth > 0) {
    for (const [t, times] of asked) {
      const p = postings.get(t);
      if (!p) continue;
      const weight = times * idf(p.df);
      p.forEach((block, tf, length) => scores.add(block, (weight * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * length) / avgLength))));
    }
  }
  const top = createTopK(depth);
  for (const [block, score] of scores.entries()) top.offer({ block, score });
  scores.reset();
  const hits = top.best();
  // Coverage: the share, by IDF, of the query's terms the best block holds; unseen terms count at the highest IDF.
  let total = 0;
  let covered = 0;
  let queryIdf = 0;
  for (const [t, times] of asked) {
    const p = postings.get(t);
    const w = idf(p?.df ?? 0);
    total += w;
    queryIdf += times * w;
    if (hits.length && p && holds(p, hits[0].block)) covered += w;
  }
  return { hits, coverage: total > 0 ? Math.min(1, covered / total) : 0, queryIdf };
}

/** Whether the term's postings hold `block`. */
function holds(p: TermPostings, block: number): boolean {
  let found = false;
  p.forEach((b) => {
    if (b === block) found = true;
  });
  return found;
}

/** The postings of one KeywordData for a term: blocks offset by `base`, those `live` refuses left out. */
export function postingsIn(data: KeywordData, id: number, base = 0, live?: (block: number) => boolean): { count: number; each: TermPostings['forEach'] } {
  const from = data.offsets[id];
  const to = data.offsets[id + 1];
  let count = to - from;
  if (live) {
    count = 0;
    for (let i = from; i < to; i++) if (live(data.blocks[i])) count++;
  }
  return {
    count,
    each(visit) {
      for (let i = from; i < to; i++) {
        const block = data.blocks[i];
        if (!live || live(block)) visit(base + block, data.tfs[i], data.lengths[block]);
      }
    },
  };
}

/**
 * An in-memory keyword index of `texts` (block i is texts[i]): the scorer over one KeywordData, synchronous. For
 * baselines and tests; the stores' readers score the same way over their own postings.
 */
export function createKeywordIndex(texts: string[], params: Bm25Params = DEFAULT_BM25) {
  const data = keywordDataOf(texts);
  const ids = new Map(data.terms.map((t, i) => [t, i]));
  const totalLength = data.lengths.reduce((a, b) => a + b, 0);
  const source = (allow?: (block: number) => boolean): PostingSource => ({
    blockSpace: texts.length,
    stats: async () => ({ blocks: texts.length, totalLength }),
    async postings(asked) {
      const out = new Map<string, TermPostings>();
      for (const t of asked) {
        const id = ids.get(t);
        if (id === undefined) continue;
        const all = postingsIn(data, id);
        const allowed = postingsIn(data, id, 0, allow);
        out.set(t, { df: all.count, forEach: allowed.each });
      }
      return out;
    },
  });
  return {
    data,
    /** The best `depth` texts for the query, with coverage and the query's IDF sum; only texts `allow` allows. */
    search: (query: string, depth: number, allow?: (block: number) => boolean) => scoreBlocks(source(allow), query, depth, params),
  };
}
