// The lexical side: BM25 over the same passages the vectors cover, with case folding, stop words and stemming.
import MiniSearch from 'minisearch';
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
   * text; low for a paraphrase.
   */
  searchWithCoverage(query: string, depth: number): { hits: LexicalHit[]; coverage: number };
}

export interface Bm25Params {
  k1: number;
  b: number;
  /** BM25+ lower bound on a matching term's contribution. */
  delta: number;
}

/** Classic BM25 (no BM25+ floor) with Lucene's usual k1 and b: the best of the variants measured on SciFact here. */
export const DEFAULT_BM25: Bm25Params = { k1: 1.5, b: 0.75, delta: 0 };

/** Builds a BM25 index over `texts`; label i is texts[i]. */
export function createLexicalIndex(texts: string[], params: Bm25Params = DEFAULT_BM25): LexicalIndex {
  const mini = new MiniSearch<{ id: number; text: string }>({
    fields: ['text'],
    tokenize: terms,
    processTerm: (t) => t,
    searchOptions: { combineWith: 'OR', bm25: { k: params.k1, b: params.b, d: params.delta } },
  });
  mini.addAll(texts.map((text, id) => ({ id, text })));
  const n = texts.length;
  const idf = (df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
  return {
    search(query, depth) {
      return this.searchWithCoverage(query, depth).hits;
    },
    searchWithCoverage(query, depth) {
      const results = mini.search(query);
      // Every text holding any query term is in the results, so they give each term's document frequency.
      const df = new Map<string, number>();
      for (const r of results) for (const t of r.queryTerms) df.set(t, (df.get(t) ?? 0) + 1);
      const wanted = [...new Set(terms(query))];
      const total = wanted.reduce((sum, t) => sum + idf(df.get(t) ?? 0), 0);
      const top = results[0];
      const covered = top ? [...new Set(top.queryTerms)].reduce((sum, t) => sum + idf(df.get(t) ?? 0), 0) : 0;
      return {
        hits: results.slice(0, depth).map((r) => ({ label: r.id as number, score: r.score })),
        coverage: total > 0 ? Math.min(1, covered / total) : 0,
      };
    },
  };
}
