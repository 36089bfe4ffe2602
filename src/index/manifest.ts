// What every build is, whichever store keeps it: its name, its passages and its manifest.
import { randomBytes } from 'node:crypto';
import type { DocumentFormat } from '../ingest/document.js';
import type { Skipped } from '../ingest/files.js';

/** Bumped whenever a build's content changes meaning, so older builds count as stale and are rebuilt. */
export const INDEX_FORMAT = 10;
export const HASH_BYTES = 20;

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

export interface IndexManifest {
  format: number;
  modelId: string;
  /** The embedder's fingerprint: vectors of a build are reused by the next only under the same one. */
  embedder: string;
  dimension: number;
  chunking: { words: number; overlap: number; maxTokens: number; version: number };
  hnsw: { M: number; efConstruction: number };
  /** The version of the document readers that extracted the text. */
  extractor: number;
  corpusHash: string;
  settingsKey: string;
  /** Each document indexed: `sha256` is of the file's bytes, `chars` the length of its extracted text. */
  documents: { source: string; format: DocumentFormat; sha256: string; chars: number; title?: string }[];
  /** Every file of the corpus folder left out, and why. */
  skipped: Skipped[];
  passages: number;
  /** Rows of vectors.f32: one per distinct sentence text. */
  vectors: number;
  builtAt: string;
  buildMs: number;
  /** Size and SHA-256 of each file of the build, set when it is saved. */
  files?: Record<string, { bytes: number; sha256: string }>;
}

/** A new build's name: its time, and a few random characters so that two builds in one millisecond differ. */
export function buildName(): string {
  return `build-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}
