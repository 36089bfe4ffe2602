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
  return {
    search(query, depth) {
      return mini
        .search(query)
        .slice(0, depth)
        .map((r) => ({ label: r.id as number, score: r.score }));
    },
  };
}
