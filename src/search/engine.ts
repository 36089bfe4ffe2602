// A loaded index wired to its keyword side, the query embedder and the ranking settings: all a query needs.
import type { QueryEmbedder } from '../model/embedder.js';
import type { LoadedIndex, PassageRecord } from '../index/files/store.js';
import { createLexicalIndex, type Bm25Params, type LexicalIndex } from './lexical.js';

/**
 * How much of a hit's score comes from the keyword side: `min` for a question in other words than the text's, `max`
 * for one in its own words, switching over around `midpoint` of the query's coverage (see `keywordShare`).
 */
export interface KeywordShare {
  min: number;
  max: number;
  midpoint: number;
}

export interface SearchSettings {
  /** Candidates taken from each side (vector and lexical) before fusion. */
  depth: number;
  /** The keyword side's share of the fused score, by the query's coverage. */
  keywordShare: KeywordShare;
  /** Leave out passages that repeat what a better hit already shows. */
  dedup: boolean;
  /** BM25 parameters of the keyword side. */
  bm25: Bm25Params;
}

/** A loaded index with everything a query needs. */
export interface SearchEngine {
  index: LoadedIndex;
  /** BM25 over blocks (paragraphs): label b is the block of `blockPassages[b]`. */
  lexical: LexicalIndex;
  /** The passage labels of each block. */
  blockPassages: number[][];
  embedder: QueryEmbedder;
  settings: SearchSettings;
}

/**
 * The text of each block, rebuilt from its passages' sentences, and the passages of each block. Keyword evidence is
 * weighed per block: a paragraph that holds the query's terms supports each of its windows, even the ones that
 * cut some of those terms off.
 */
export function blocksOf(passages: PassageRecord[]): { texts: string[]; passages: number[][] } {
  const sentences = new Map<number, Map<number, string>>();
  const members: number[][] = [];
  passages.forEach((p, label) => {
    (members[p.block] ??= []).push(label);
    const seen = sentences.get(p.block) ?? new Map<number, string>();
    sentences.set(p.block, seen);
    for (const s of p.sentences) seen.set(s.start, p.text.slice(s.start - p.start, s.end - p.start));
  });
  const texts = members.map((_, block) => [...sentences.get(block)!.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join(' '));
  return { texts, passages: members };
}

/** Wires an index to its lexical side and the embedder. */
export function createSearchEngine(index: LoadedIndex, embedder: QueryEmbedder, settings: SearchSettings): SearchEngine {
  const blocks = blocksOf(index.passages);
  return { index, lexical: createLexicalIndex(blocks.texts, settings.bm25), blockPassages: blocks.passages, embedder, settings };
}
