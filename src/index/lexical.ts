// The lexical side: BM25 over the same passages the vectors cover, with case folding, stop words and stemming.
import { stemmer } from 'stemmer';
import { eng } from 'stopword';

// The package's English list lacks a few function words that questions are full of.
const STOP = new Set([...eng, 'does', 'why', 'when', 'whom', 'whose', 'its', 'itself', 'themselves', 'upon', 'shall']);

/** Lower-cased, stop-word-free, stemmed terms of a text; the same for passages and queries. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().normalize('NFKC').matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const word = m[0].replace(/['’]s$/, '').replace(/['’]/g, '');
    if (!word || STOP.has(word)) continue;
    out.push(stemmer(word));
  }
  return out;
}

export interface LexicalHit {
  /** Passage label. */
  label: number;
  score: number;
}

export interface LexicalIndex {
  search(query: string, depth: number): LexicalHit[];
  /**
   * The hits, and how much of the query the best hit covers: the IDF of the query terms it holds over the IDF of all
   * the query's terms (terms found nowhere count at the highest IDF). Near 1 when the words of the question are in the
   * text; low for a paraphrase. `queryIdf` is the sum of the query terms' IDFs (each time asked, unseen ones at the
   * highest): the BM25 of a text of average length holding each once, so hit scores over it compare across queries.
   * With `allow`, only the texts it allows are hits (the coverage is then the best allowed text's).
   */
  searchWithCoverage(query: string, depth: number, allow?: (label: number) => boolean): { hits: LexicalHit[]; coverage: number; queryIdf: number };
}

export interface Bm25Params {
  k1: number;
  b: number;
  /** BM25+ lower bound on a matching term's contribution. */
  delta: number;
}

/** Classic BM25 (no BM25+ floor) with Lucene's usual k1 and b: the best of the variants measured on SciFact here. */
export const DEFAULT_BM25: Bm25Params = { k1: 1.5, b: 0.75, delta: 0 };

/** Postings of a set of texts: per term, the texts holding it (ascending) and how often; and each text's length. */
interface Postings {
  termIds: Map<string, number>;
  docs: Int32Array[];
  freqs: Uint16Array[];
  /** Length of each text in terms. */
  lengths: Float64Array;
}

function postingsOf(texts: string[]): Postings {
  const termIds = new Map<string, number>();
  const building: { docs: number[]; freqs: number[] }[] = [];
  const lengths = new Float64Array(texts.length);
  texts.forEach((text, doc) => {
    const counts = new Map<string, number>();
    const words = terms(text);
    for (const t of words) counts.set(t, (counts.get(t) ?? 0) + 1);
    lengths[doc] = words.length;
    for (const [t, tf] of counts) {
      let id = termIds.get(t);
      if (id === undefined) {
        termIds.set(t, (id = building.length));
        building.push({ docs: [], freqs: [] });
      }
      building[id].docs.push(doc);
      building[id].freqs.push(tf);
    }
  });
  return {
    termIds,
    docs: building.map((p) => Int32Array.from(p.docs)),
    freqs: building.map((p) => Uint16Array.from(p.freqs, (f) => Math.min(f, 65535))),
    lengths,
  };
}

/** Whether the ascending `docs` hold `doc` (binary search). */
function contains(docs: Int32Array, doc: number): boolean {
  let lo = 0;
  let hi = docs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (docs[mid] === doc) return true;
    if (docs[mid] < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Weaker: a lower score, or the same score and a higher label (ties go to the lower label). */
const weaker = (x: LexicalHit, y: LexicalHit) => x.score < y.score || (x.score === y.score && x.label > y.label);

/** Keeps the best `depth` hits offered to it, on a min-heap whose root is the weakest kept. */
export function createTopK(depth: number): { offer(hit: LexicalHit): void; best(): LexicalHit[] } {
  const heap: LexicalHit[] = [];
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
    best: () => [...heap].sort((x, y) => y.score - x.score || x.label - y.label),
  };
}

/**
 * Builds a BM25 index over `texts`; label i is texts[i]. Postings are typed arrays (document ids ascending, term
 * frequencies) and a search adds each matching posting into one reused score buffer, then keeps the best `depth` on a
 * heap: at 10^5 passages it answers in about a millisecond and holds a few bytes a posting. The scoring is classic
 * BM25 (Lucene's IDF; a document's length is its number of terms; a query term asked twice counts twice).
 */
export function createLexicalIndex(texts: string[], params: Bm25Params = DEFAULT_BM25): LexicalIndex {
  const n = texts.length;
  const { termIds, docs, freqs, lengths } = postingsOf(texts);
  const avgLength = n ? lengths.reduce((a, b) => a + b, 0) / n : 1;
  const idf = (df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
  // Scratch for one search at a time (searches are synchronous).
  const scores = new Float64Array(n);
  const touchedFlag = new Uint8Array(n);

  /** Adds each asked term's BM25 into the score buffer; returns the texts touched. */
  const accumulate = (asked: Map<string, number>): number[] => {
    const { k1, b, delta } = params;
    const touched: number[] = [];
    for (const [t, times] of asked) {
      const id = termIds.get(t);
      if (id === undefined) continue;
      const weight = times * idf(docs[id].length);
      for (let i = 0; i < docs[id].length; i++) {
        const doc = docs[id][i];
        const tf = freqs[id][i];
        if (touchedFlag[doc] === 0) {
          touchedFlag[doc] = 1;
          touched.push(doc);
        }
        scores[doc] += weight * (delta + (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * lengths[doc]) / avgLength)));
      }
    }
    return touched;
  };

  /** The IDF of the query terms `best` holds over that of all of them (unseen terms at the highest); the IDF sum. */
  const coverageOf = (asked: Map<string, number>, best: number | undefined) => {
    let total = 0;
    let covered = 0;
    let queryIdf = 0;
    for (const [t, times] of asked) {
      const id = termIds.get(t);
      const w = idf(id === undefined ? 0 : docs[id].length);
      total += w;
      queryIdf += times * w;
      if (best !== undefined && id !== undefined && contains(docs[id], best)) covered += w;
    }
    return { coverage: total > 0 ? Math.min(1, covered / total) : 0, queryIdf };
  };

  return {
    search(query, depth) {
      return this.searchWithCoverage(query, depth).hits;
    },
    searchWithCoverage(query, depth, allow) {
      const asked = new Map<string, number>();
      for (const t of terms(query)) asked.set(t, (asked.get(t) ?? 0) + 1);
      const top = createTopK(depth);
      for (const doc of accumulate(asked)) {
        if (!allow || allow(doc)) top.offer({ label: doc, score: scores[doc] });
        scores[doc] = 0;
        touchedFlag[doc] = 0;
      }
      const hits = top.best();
      return { hits, ...coverageOf(asked, hits[0]?.label) };
    },
  };
}
