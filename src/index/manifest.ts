// What every version of an index is, whichever store keeps it: its manifest (settings, documents, skipped files),
// its passages, and the checks a reader makes before trusting it. Parsed and checked here, once for every store.
import { AppError } from '../errors.js';
import type { DocumentFormat } from '../ingest/document.js';
import type { Skipped } from '../ingest/files.js';

/** Bumped whenever an index's content changes meaning, so older indexes count as stale and are rebuilt. */
export const INDEX_FORMAT = 11;
export const HASH_BYTES = 20;

/** Which passages a search may return: those of the documents named (a `source` filter resolved); all when absent. */
export type SourceFilter = ReadonlySet<string> | undefined;

export interface PassageRecord {
  id: string;
  source: string;
  start: number;
  end: number;
  text: string;
  /** Length of the sum of its sentences' vectors: the passage's vector is that sum divided by it. */
  norm: number;
  /**
   * The run of its document's text it is cut from (a section, up to a heading or a page that starts a paragraph),
   * numbered within the document: neighbours share it.
   */
  block: number;
  /** Sentences of the passage: offsets into the source and their row in the sentence vectors. */
  sentences: { start: number; end: number; row: number }[];
  /** The page the passage starts on (PDF), 1-based. */
  page?: number;
  /** The nearest heading above the passage. */
  section?: string;
}

/** Where a document came from: the corpus folder (its build manages it), or the document API (kept by the index). */
export type DocumentOrigin = 'folder' | 'api';

/** A document of an index version, without its text. */
export interface DocumentEntry {
  source: string;
  origin: DocumentOrigin;
  format: DocumentFormat;
  /** SHA-256 of the bytes its text was read from. */
  sha256: string;
  /** Size of those bytes. */
  bytes: number;
  /** Length of its extracted text. */
  chars: number;
  title?: string;
  passages: number;
  /** When this text of it was indexed (ISO 8601). */
  indexedAt: string;
}

export interface IndexManifest {
  format: number;
  /** Counts the versions of this index: each change, and each rebuild, makes the next. */
  version: number;
  modelId: string;
  /** The embedder's fingerprint: vectors of a version are reused by the next only under the same one. */
  embedder: string;
  dimension: number;
  chunking: { words: number; overlap: number; maxTokens: number; version: number };
  hnsw: { M: number; efConstruction: number };
  /** The version of the document readers that extracted the text. */
  extractor: number;
  /** Every setting that shapes the index (build.ts settingsKey): another key means a rebuild. */
  settingsKey: string;
  /** Hash of the corpus folder as last read (its documents and skipped files): equal hashes, nothing to do. */
  corpusHash: string;
  /** Each document indexed, in source order. */
  documents: DocumentEntry[];
  /** Every file of the corpus folder left out, and why. */
  skipped: Skipped[];
  /** Passages of this version. */
  passages: number;
  /** When this version was made, and how long its change took. */
  builtAt: string;
  buildMs: number;
}

/** What a server expects of an index: the embedder it answers queries with. */
export interface IndexExpectation {
  modelId: string;
  dimension: number;
  /** The embedder's fingerprint (model, pooling, prefixes): vectors made under another compare as nonsense. */
  fingerprint: string;
}

/** The model a fingerprint names: token counts made under it hold for any pooling or prefix. */
export function fingerprintModel(fingerprint: string): string | null {
  try {
    const parsed = JSON.parse(fingerprint) as unknown;
    return Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed[0] : null;
  } catch {
    return null;
  }
}

/**
 * Throws unless a reader may serve `manifest`: INDEX_INVALID when it is of another format, INDEX_MODEL_MISMATCH when
 * it was made under another embedder than `expect`. `where` names the index in messages.
 */
export function checkManifest(manifest: IndexManifest, expect: IndexExpectation, where: string): void {
  if (manifest.format !== INDEX_FORMAT) throw new AppError('INDEX_INVALID', where, `format ${manifest.format} is not ${INDEX_FORMAT}; rebuild it`);
  if (manifest.modelId !== expect.modelId || manifest.dimension !== expect.dimension || manifest.embedder !== expect.fingerprint) {
    throw new AppError('INDEX_MODEL_MISMATCH', where, `${manifest.embedder} (${manifest.dimension}-d)`, `${expect.fingerprint} (${expect.dimension}-d)`);
  }
}

/** The name a version is served under: `v` and its number. */
export const versionName = (version: number) => `v${version}`;
