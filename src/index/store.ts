// The store boundary: what a query needs of one index version (BuildReader), and what a change, a server and the
// commands need of a store (IndexStore, IndexWriter). A store keeps what a change made — documents, passages, sentence
// vectors, the keyword postings — and reads it back; the ranking, the keyword scoring and the manifest checks live
// above it, once. The files store (files/) and the Postgres store (postgres/) implement it.
import type { ExtractedDocument } from '../ingest/document.js';
import type { KeywordData, PostingSource } from './keywords.js';
import type { IndexExpectation, IndexManifest, PassageRecord, SourceFilter } from './manifest.js';

export type { ExtractedDocument, IndexExpectation, IndexManifest, PassageRecord, SourceFilter };

/** The keyword side of a version: postings for the scorer, and the passages each block stands for. */
export interface KeywordReader extends PostingSource {
  /** The passage labels of each block asked. */
  blockPassages(blocks: number[]): Promise<Map<number, number[]>>;
}

/** One version of an index, read-only, as a query sees it. Labels number passages; rows number sentence vectors. */
export interface BuildReader {
  /** The version's name: what responses and /health name. */
  readonly name: string;
  readonly manifest: IndexManifest;
  /**
   * Up to `k` passage labels nearest the query vector by cosine, best first (approximate: HNSW); none for k ≤ 0.
   * With a filter, only passages of its documents, still `k` of them when the filter holds that many.
   */
  nearest(query: Float32Array, k: number, filter?: SourceFilter): Promise<number[]>;
  readonly keywords: KeywordReader;
  /** Passage records by label. */
  passages(labels: number[]): Promise<Map<number, PassageRecord>>;
  /** The cosine of the query to each sentence row (sentence vectors are unit length). */
  cosines(query: Float32Array, rows: number[]): Promise<Map<number, number>>;
  /** A document's extracted text, title, pages and sections, as indexed; null when the version has no such document. */
  document(source: string): Promise<ExtractedDocument | null>;
  /**
   * Runs `work` on one consistent version: every read inside it sees the same data (a database reads in one
   * snapshot). `work` gets the reader to use; its name is the version it saw.
   */
  snapshot<T>(work: (reader: BuildReader) => Promise<T>): Promise<T>;
}

/** What a reader is opened with: the embedder it must match, and HNSW's search breadth. */
export interface ReaderOptions {
  /** The embedder, or its promise while the model loads: the index loads meanwhile and is checked when it is there. */
  expect: IndexExpectation | Promise<IndexExpectation>;
  efSearch: number;
}

/** What the next change can take from the index for a sentence text, by its hash. */
export interface KnownSentence {
  tokens: number;
  vector?: Float32Array;
}

/** Documents a change indexes, as the build made them: everything a store keeps of them. Labels and rows from 0. */
export interface SegmentData {
  /** The documents, with their extracted text: what /view shows and what a rebuild re-chunks. */
  documents: ExtractedDocument[];
  /** Passages in document order; a passage's `sentences[].row` is a row of the vectors below. */
  passages: PassageRecord[];
  /** Unit vectors of every distinct sentence text, row-major. */
  textVectors: Float32Array;
  /** SHA-1 of each row's text (folded), 20 bytes a row. */
  textHashes: Uint8Array;
  /** Token count of each row's text. */
  textTokens: Uint16Array;
  /** Unit vector of each passage (the normalised sum of its sentences'), row-major by label. */
  passageVectors: Float32Array;
  /** The keyword blocks of these passages (blocks.ts) and their postings. */
  keywords: KeywordData;
  /** The passage labels of each block. */
  blockPassages: number[][];
}

/** One change being written: documents added, documents removed, then committed as the next version or dropped. */
export interface IndexWriter {
  /**
   * What the index knows of these sentence texts, seen from inside the change (as IndexStore.knownSentences): the
   * version before it, the documents it removes included, until it commits.
   */
  known(hashes: string[], withVectors: boolean): Promise<Map<string, KnownSentence>>;
  /** Removes, at the commit, every passage, sentence and keyword posting of these documents as they were before. */
  remove(sources: string[]): Promise<void>;
  /** Adds a set of new documents. Their sources must not be in the index (remove them first). */
  add(segment: SegmentData): Promise<void>;
  /** Keeps the original bytes of a document put over the API, so that a rebuild can read it again. */
  keepBlob(sha256: string, bytes: Buffer): Promise<void>;
  /** Makes everything written the next version, at once, with this manifest; returns its name. */
  commit(manifest: IndexManifest): Promise<string>;
  /** Drops everything written; the current version stays as it was. */
  abort(): Promise<void>;
}

export interface IndexStore {
  /** Where the index is, for messages and /health: a folder, or a database without its credentials. */
  readonly where: string;
  /** The current version's name, or null when nothing has been built. */
  currentName(): Promise<string | null>;
  /** The current version's manifest, or null; never throws for a damaged index (it is then not up to date). */
  currentManifest(): Promise<IndexManifest | null>;
  /**
   * Opens the current version. `previous`, a reader this store opened before, lends what has not changed (an
   * unchanged segment is not read again). Throws INDEX_NOT_READY, INDEX_INVALID or INDEX_MODEL_MISMATCH.
   */
  open(options: ReaderOptions, previous?: BuildReader): Promise<BuildReader>;
  /**
   * What the current version knows of these sentence texts (SHA-1 of the folded text, hex): token counts, and
   * vectors when `withVectors` (the caller knows they were made under its embedder). Unknown texts are absent.
   */
  knownSentences(hashes: string[], withVectors: boolean): Promise<Map<string, KnownSentence>>;
  /** The current version's extracted documents of these sources (all when absent). */
  documents(sources?: string[]): Promise<Map<string, ExtractedDocument>>;
  /** The original bytes of a document put over the API, by SHA-256; null when not kept. */
  blob(sha256: string): Promise<Buffer | null>;
  /** Takes the one write lock of the store, waiting up to `waitMs`; returns its release. Throws BUILD_IN_PROGRESS. */
  lock(waitMs?: number): Promise<() => Promise<void>>;
  /**
   * Starts a change (under the lock): `replaceAll` starts from an empty index. A change stopped by `signal` or
   * aborted leaves the current version as it was.
   */
  begin(options: { replaceAll: boolean; dimension: number; hnsw: { M: number; efConstruction: number }; signal?: AbortSignal }): Promise<IndexWriter>;
  /** Calls `onChange` when the store announces a new version (a database's NOTIFY); returns the way to stop. */
  listen?(onChange: () => void): Promise<() => Promise<void>>;
  /** Records that server `id` serves `version`, so that what it reads is not removed under it (a shared store). */
  report?(id: string, version: string | null): Promise<void>;
  close(): Promise<void>;
}
