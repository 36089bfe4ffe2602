// The store boundary: what a query needs of one build (BuildReader), and what a build, a server and the commands need
// of a store (IndexStore). The files store (files/) and the Postgres store (postgres/) implement both; nothing above
// this folder knows which one it talks to.
import type { ExtractedDocument } from '../ingest/document.js';
import type { IndexManifest, PassageRecord } from './manifest.js';
import type { Bm25Params } from './lexical.js';

export type { ExtractedDocument, IndexManifest, PassageRecord };

/** Which passages a search may return: those of the documents named (a `source` filter resolved); all when absent. */
export type SourceFilter = ReadonlySet<string> | undefined;

/** The best blocks (paragraphs) for a query's words, with the passages of each, and the query's coverage. */
export interface KeywordBlocks {
  /** Best first (ties to the lower block); `score` is the block's BM25. */
  hits: { block: number; score: number; passages: number[] }[];
  /** The IDF of the query terms the best block holds over the IDF of all of them (unseen terms at the highest IDF). */
  coverage: number;
  /** The sum of the query terms' IDFs, each time asked: the BM25 of an average block holding each term once. */
  queryIdf: number;
}

/** One build, read-only, as a query sees it. Labels number passages from 0; rows number distinct sentences. */
export interface BuildReader {
  /** The build's name: what responses and /health name. */
  readonly name: string;
  readonly manifest: IndexManifest;
  /**
   * Up to `k` passage labels nearest the query vector by cosine, best first (approximate: HNSW); none for k ≤ 0.
   * With a filter, only passages of its documents, still `k` of them when the filter holds that many.
   */
  nearest(query: Float32Array, k: number, filter?: SourceFilter): Promise<number[]>;
  /** The best `depth` blocks by BM25 over the query's terms (as `terms` makes them), of the filter's documents only. */
  keywordBlocks(query: string, depth: number, filter?: SourceFilter): Promise<KeywordBlocks>;
  /** Passage records by label. */
  passages(labels: number[]): Promise<Map<number, PassageRecord>>;
  /** The cosine of the query to each sentence row (sentence vectors are unit length). */
  cosines(query: Float32Array, rows: number[]): Promise<Map<number, number>>;
  /** A document's extracted text, title, pages and sections, as indexed; null when the build has no such document. */
  document(source: string): Promise<ExtractedDocument | null>;
}

/** What a reader is opened with: the embedder it must match and the search's own settings. */
export interface ReaderOptions {
  expect: IndexExpectation;
  efSearch: number;
  bm25: Bm25Params;
}

/** What a server expects of an index: the embedder it answers queries with. */
export interface IndexExpectation {
  modelId: string;
  dimension: number;
  /** The embedder's fingerprint (model, pooling, prefixes): vectors made under another compare as nonsense. */
  fingerprint: string;
}

/** What the next build can take from a row of the current one, by text hash. */
export interface ReusableRow {
  tokens?: number;
  vector?: Float32Array;
}

/** A complete build, as the build's steps leave it for the store to save. */
export interface BuildData {
  manifest: IndexManifest;
  /** Every document's extracted text: what /view shows and what the next build reuses for unchanged files. */
  documents: ExtractedDocument[];
  passages: PassageRecord[];
  /** Unit vectors of every distinct sentence text, row-major, `manifest.vectors` rows. */
  textVectors: Float32Array;
  /** SHA-1 of each row's text, 20 bytes a row. */
  textHashes: Uint8Array;
  /** Token count of each row's text. */
  textTokens: Uint16Array;
  /** Unit vector of each passage (the normalised sum of its sentences'), row-major by label. */
  passageVectors: Float32Array;
}

export interface IndexStore {
  /** Where the index is, for messages and /health: a folder, or a database without its credentials. */
  readonly where: string;
  /** The current build's name, or null when nothing has been built. */
  currentName(): Promise<string | null>;
  /** The current build's manifest, or null; never throws for a damaged build (it is then not up to date). */
  currentManifest(): Promise<IndexManifest | null>;
  /** Opens the current build. Throws INDEX_NOT_READY, INDEX_INVALID or INDEX_MODEL_MISMATCH. */
  open(options: ReaderOptions): Promise<BuildReader>;
  /** What the current build knows of each text, when its files or rows verify; empty otherwise. */
  reusableRows(fingerprint: string): Promise<Map<string, ReusableRow>>;
  /** The current build's documents by `reuseKey`, when it was read by readers of version `extractor`; empty otherwise. */
  reusableDocuments(extractor: number): Promise<Map<string, ExtractedDocument>>;
  /** Takes the one build lock of the store; returns its release. Throws BUILD_IN_PROGRESS. */
  lock(): Promise<() => Promise<void>>;
  /** Saves a complete build and makes it current at once; a stopped or failed save leaves the current one as it was. */
  save(build: BuildData, signal?: AbortSignal): Promise<string>;
  /** Calls `onChange` when the store announces a new current build (a database's NOTIFY); returns the way to stop. */
  listen?(onChange: () => void): Promise<() => Promise<void>>;
  /** Records that server `id` serves `build`, so that the build is not removed under it (a shared store). */
  report?(id: string, build: string | null): Promise<void>;
  close(): Promise<void>;
}
