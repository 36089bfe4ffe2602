// A build's reader wired to the query embedder and the ranking settings: all a query needs, whichever store.
import type { Bm25Params } from '../index/keywords.js';
import type { BuildReader } from '../index/store.js';
import type { QueryEmbedder } from '../model/embedder.js';

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

/** A build with everything a query needs. */
export interface SearchEngine {
  reader: BuildReader;
  embedder: QueryEmbedder;
  settings: SearchSettings;
  /** The title of each document of the build that has one. */
  titles: ReadonlyMap<string, string>;
}

/** Wires a build's reader to the embedder and the settings. */
export function createSearchEngine(reader: BuildReader, embedder: QueryEmbedder, settings: SearchSettings): SearchEngine {
  const titles = new Map(reader.manifest.documents.flatMap((d) => (d.title ? [[d.source, d.title] as const] : [])));
  return { reader, embedder, settings, titles };
}
