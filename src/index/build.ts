// Corpus → documents → passages → vectors → a saved build, in named steps: reuse what the current build knows, extract
// the text of files new or changed, chunk, embed what is new, assemble the passage vectors, save and make current (the
// store's part). A build can be stopped between any two of them.
import { createHash } from 'node:crypto';
import { CHUNKER_VERSION, chunkDocument, normalizeSpace, type ChunkingOptions } from '../ingest/chunking.js';
import { corpusEmpty, readCorpus, type Corpus } from '../ingest/corpus.js';
import { createLocator, EXTRACTOR_VERSION, type ExtractedDocument } from '../ingest/document.js';
import { extractCorpus } from '../ingest/extract.js';
import type { Skipped } from '../ingest/files.js';
import { checkFinite, type Embedder } from '../model/embedder.js';
import { HASH_BYTES, INDEX_FORMAT, type IndexManifest, type PassageRecord } from './manifest.js';
import type { IndexStore, ReusableRow } from './store.js';

/** The steps of a build, in order, as `onStage` reports them. */
export const BUILD_STAGES = ['reuse', 'extract', 'chunk', 'embed', 'assemble', 'save'] as const;
export type BuildStage = (typeof BUILD_STAGES)[number];

export interface BuildOptions {
  /** Where the build is read from (what it may reuse) and saved to. */
  store: IndexStore;
  /** The configured model and its options, as given (not loaded): part of what makes two builds the same. */
  model: string;
  chunking: ChunkingOptions;
  hnsw: { M: number; efConstruction: number };
  /**
   * Called as texts are embedded: `done` of `total` tokens. Tokens, not texts: texts go to the model shortest first,
   * so a count of texts runs ahead of the time left.
   */
  onProgress?: (done: number, total: number) => void;
  /** Called as each step starts. */
  onStage?: (stage: BuildStage) => void;
  /** Aborting it stops the build before its next step (and before anything is made current): it throws the reason. */
  signal?: AbortSignal;
}

export interface BuildResult {
  /** The new build's name in its store. */
  name: string;
  manifest: IndexManifest;
  /** Texts embedded by this build, and texts whose vectors came from the previous build. */
  embedded: number;
  reused: number;
  /** Files read by this build, and files whose text came from the previous build. */
  extracted: number;
  reusedFiles: number;
  /** Every file left out, and why. */
  skipped: Skipped[];
}

/** Every setting that shapes a build: the model as configured, the readers' version, chunking (with its version), HNSW. */
export function settingsKey(options: BuildOptions): string {
  return JSON.stringify({ model: options.model, extractor: EXTRACTOR_VERSION, chunking: { ...options.chunking, version: CHUNKER_VERSION }, hnsw: options.hnsw });
}

/**
 * The current build's manifest when it was made from this corpus with the same settings; else null.
 * Needs no model, so an unchanged corpus is recognised before any model is loaded.
 */
export async function upToDateManifest(corpusHash: string, options: BuildOptions): Promise<IndexManifest | null> {
  const m = await options.store.currentManifest();
  return m && m.format === INDEX_FORMAT && m.corpusHash === corpusHash && m.settingsKey === settingsKey(options) ? m : null;
}

/** Builds an index of the corpus folder and makes it current. Throws CORPUS_MISSING / CORPUS_EMPTY. */
export async function buildIndex(embedder: Embedder, options: BuildOptions & { corpusDir: string }): Promise<BuildResult> {
  return buildIndexOf(embedder, await readCorpus(options.corpusDir), options);
}

/**
 * Builds an index of the given files and makes it current. Sentences are embedded once per distinct text; passages
 * are the mean of their sentences. On any error (the embedder's and an abort included) the live index is left as it
 * was. Throws BUILD_IN_PROGRESS when another build of the folder runs, CORPUS_EMPTY when no file gives any text.
 */
export async function buildIndexOf(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<BuildResult> {
  const release = await options.store.lock();
  try {
    return await buildLocked(embedder, corpus, options);
  } finally {
    await release();
  }
}

/** SHA-1 of a text, memoised: the key under which a build finds a text's vector and token count. */
function createHasher(): (text: string) => Buffer {
  const hashes = new Map<string, Buffer>();
  return (key) => {
    let h = hashes.get(key);
    if (!h) hashes.set(key, (h = createHash('sha1').update(key).digest()));
    return h;
  };
}

/**
 * Token counts of texts (folded), from the previous build when it knows them; texts new to this build are tokenized
 * once, here, and their ids kept for embedding.
 */
function createTokenCounter(embedder: Embedder, previous: Map<string, ReusableRow>, hashOf: (text: string) => Buffer) {
  const counts = new Map<string, number>();
  const ids = new Map<string, Int32Array>();
  const count = (text: string): number => {
    const key = normalizeSpace(text);
    let n = counts.get(key) ?? previous.get(hashOf(key).toString('hex'))?.tokens;
    if (n === undefined) {
      const tokens = embedder.tokenize(key);
      ids.set(key, tokens);
      n = tokens.length;
    }
    counts.set(key, n);
    return n;
  };
  return { count, idsOf: (key: string) => ids.get(key) ?? embedder.tokenize(key), clear: () => ids.clear() };
}

/**
 * Step `chunk`: the passages of every document, each with its page and section where the document has them, and the
 * distinct sentence texts (folded) they point at by row.
 */
function chunkDocuments(documents: ExtractedDocument[], chunking: ChunkingOptions, count: (text: string) => number): { passages: PassageRecord[]; texts: string[] } {
  const passages: PassageRecord[] = [];
  const textRow = new Map<string, number>();
  const texts: string[] = [];
  const rowOf = (text: string) => {
    const key = normalizeSpace(text);
    let row = textRow.get(key);
    if (row === undefined) textRow.set(key, (row = texts.push(key) - 1));
    return row;
  };
  for (const doc of documents) {
    const place = createLocator(doc);
    for (const chunk of chunkDocument(doc, chunking, count)) {
      passages.push({
        id: `${doc.source}:${chunk.start}-${chunk.end}`,
        source: doc.source,
        start: chunk.start,
        end: chunk.end,
        text: chunk.text,
        norm: 0,
        block: chunk.run,
        sentences: chunk.sentences.map((s) => ({ start: s.start, end: s.end, row: rowOf(s.text) })),
        ...place(chunk.start),
      });
    }
  }
  return { passages, texts };
}

interface EmbedStep {
  embedder: Embedder;
  texts: string[];
  previous: Map<string, ReusableRow>;
  hashOf: (text: string) => Buffer;
  tokens: ReturnType<typeof createTokenCounter>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Step `embed`: a vector, hash and token count for each text. Text the previous build embedded under the same
 * embedder keeps its vector; the rest goes to the model shortest first (each batch of about one length, little
 * padding), in slices so progress can be reported and an abort heard.
 */
async function embedTexts(step: EmbedStep) {
  const { embedder, texts } = step;
  const dimension = embedder.dimension;
  const textHashes = new Uint8Array(texts.length * HASH_BYTES);
  const textTokens = new Uint16Array(texts.length);
  const textVectors = new Float32Array(texts.length * dimension);
  const missing: number[] = [];
  texts.forEach((text, row) => {
    const hash = step.hashOf(text);
    textHashes.set(hash, row * HASH_BYTES);
    textTokens[row] = Math.min(65535, step.tokens.count(text));
    const known = step.previous.get(hash.toString('hex'))?.vector;
    if (known && known.length === dimension) textVectors.set(known, row * dimension);
    else missing.push(row);
  });
  const order = [...missing].sort((a, b) => textTokens[a] - textTokens[b]);
  const slice = 256;
  const total = order.reduce((sum, row) => sum + textTokens[row], 0);
  let done = 0;
  step.onProgress?.(0, total);
  for (let i = 0; i < order.length; i += slice) {
    step.signal?.throwIfAborted();
    const rows = order.slice(i, i + slice);
    const vectors = await embedder.embedPassages(rows.map((row) => step.tokens.idsOf(texts[row])));
    rows.forEach((row, k) => textVectors.set(checkFinite(vectors[k], embedder.modelId), row * dimension));
    done += rows.reduce((sum, row) => sum + textTokens[row], 0);
    step.onProgress?.(done, total);
  }
  return { textVectors, textHashes, textTokens, embedded: missing.length };
}

/**
 * Step `assemble`: the vector of each passage, the normalised sum of its sentences' (its norm kept in the record): only
 * sentences are embedded, each once, and a passage's cosine to a query can be had from its sentences'.
 */
function passageVectorsOf(passages: PassageRecord[], textVectors: Float32Array, dimension: number, signal?: AbortSignal): Float32Array {
  const out = new Float32Array(passages.length * dimension);
  passages.forEach((p, label) => {
    if (label % 1024 === 0) signal?.throwIfAborted();
    const sum = out.subarray(label * dimension, (label + 1) * dimension);
    for (const s of p.sentences) {
      const base = s.row * dimension;
      for (let i = 0; i < dimension; i++) sum[i] += textVectors[base + i];
    }
    let norm = 0;
    for (let i = 0; i < dimension; i++) norm += sum[i] * sum[i];
    p.norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < dimension; i++) sum[i] /= p.norm;
  });
  return out;
}

async function buildLocked(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const stage = (name: BuildStage) => {
    options.signal?.throwIfAborted();
    options.onStage?.(name);
  };
  stage('reuse');
  const previous = await options.store.reusableRows(embedder.fingerprint);
  const previousDocuments = await options.store.reusableDocuments(EXTRACTOR_VERSION);
  const hashOf = createHasher();
  const tokens = createTokenCounter(embedder, previous, hashOf);
  stage('extract');
  const read = await extractCorpus(corpus, previousDocuments, options.signal);
  previousDocuments.clear();
  if (read.documents.length === 0) throw corpusEmpty(corpus.dir ?? 'given', read.skipped);
  stage('chunk');
  const chunking = { ...options.chunking, maxTokens: Math.min(options.chunking.maxTokens, embedder.maxTokens), version: CHUNKER_VERSION };
  const { passages, texts } = chunkDocuments(read.documents, chunking, tokens.count);
  stage('embed');
  const vectors = await embedTexts({ embedder, texts, previous, hashOf, tokens, onProgress: options.onProgress, signal: options.signal });
  previous.clear();
  tokens.clear();
  stage('assemble');
  const passageVectors = passageVectorsOf(passages, vectors.textVectors, embedder.dimension, options.signal);
  stage('save');
  const manifest: IndexManifest = {
    format: INDEX_FORMAT,
    modelId: embedder.modelId,
    embedder: embedder.fingerprint,
    dimension: embedder.dimension,
    chunking,
    hnsw: options.hnsw,
    extractor: EXTRACTOR_VERSION,
    corpusHash: corpus.hash,
    settingsKey: settingsKey(options),
    documents: read.documents.map((d) => ({ source: d.source, format: d.format, sha256: d.sha256, chars: d.text.length, ...(d.title ? { title: d.title } : {}) })),
    skipped: read.skipped,
    passages: passages.length,
    vectors: texts.length,
    builtAt: new Date().toISOString(),
    buildMs: Math.round(performance.now() - started),
  };
  const { textVectors, textHashes, textTokens, embedded } = vectors;
  const name = await options.store.save({ manifest, documents: read.documents, passages, textVectors, textHashes, textTokens, passageVectors }, options.signal);
  return { name, manifest, embedded, reused: texts.length - embedded, extracted: read.extracted, reusedFiles: read.reused, skipped: read.skipped };
}
