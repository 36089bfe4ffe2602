// Corpus folder → passages → vectors → a saved index build.
import hnswlib from 'hnswlib-node';
import { CHUNKER_VERSION, chunkText, normalizeSpace, type ChunkingOptions } from './chunking.js';
import { readCorpus, type Corpus } from './corpus.js';
import type { Embedder } from './embedding.js';
import { HASH_BYTES, INDEX_FORMAT, currentBuild, reusableRows, saveIndex, type IndexManifest, type PassageRecord } from './index-store.js';
import { acquireBuildLock } from './lock.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const { HierarchicalNSW } = hnswlib;

export interface BuildOptions {
  indexDir: string;
  /** The configured model and its options, as given (not loaded): part of what makes two builds the same. */
  model: string;
  chunking: ChunkingOptions;
  hnsw: { M: number; efConstruction: number };
  /** Called as texts are embedded: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface BuildResult {
  dir: string;
  manifest: IndexManifest;
  /** Texts embedded by this build, and texts whose vectors came from the previous build. */
  embedded: number;
  reused: number;
}

/**
 * Embeds texts (as token ids) in slices so progress can be reported, handing each vector to `put` with its text's
 * position. Texts go to the model shortest first, so each batch holds texts of about one length and little padding
 * is computed.
 */
async function embedAll(
  embedder: Embedder,
  texts: Int32Array[],
  put: (i: number, vector: Float32Array) => void,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
  const slice = 256;
  onProgress?.(0, texts.length);
  for (let i = 0; i < order.length; i += slice) {
    const ids = order.slice(i, i + slice);
    const vectors = await embedder.embedPassages(ids.map((j) => texts[j]));
    ids.forEach((j, k) => put(j, vectors[k]));
    onProgress?.(Math.min(i + slice, texts.length), texts.length);
  }
}

/** The chunking a build with these options and this embedder uses: the setting, capped by the model's limit. */
function effectiveChunking(embedder: Embedder, options: BuildOptions) {
  return { ...options.chunking, maxTokens: Math.min(options.chunking.maxTokens, embedder.maxTokens), version: CHUNKER_VERSION };
}

/** Every setting that shapes a build: the model as configured, chunking (with the chunker's version) and HNSW. */
export function settingsKey(options: BuildOptions): string {
  return JSON.stringify({ model: options.model, chunking: { ...options.chunking, version: CHUNKER_VERSION }, hnsw: options.hnsw });
}

/**
 * The current build's manifest when it was made from this corpus with the same settings ; else null.
 * Needs no model, so an unchanged corpus is recognised before any model is loaded.
 */
export async function upToDateManifest(corpusHash: string, options: BuildOptions): Promise<IndexManifest | null> {
  const dir = await currentBuild(options.indexDir);
  if (!dir) return null;
  try {
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
    return m.format === INDEX_FORMAT && m.corpusHash === corpusHash && m.settingsKey === settingsKey(options) ? m : null;
  } catch {
    return null;
  }
}

/** Builds an index of the corpus folder and makes it current. Throws CORPUS_MISSING / CORPUS_EMPTY. */
export async function buildIndex(embedder: Embedder, options: BuildOptions & { corpusDir: string }): Promise<BuildResult> {
  return buildIndexOf(embedder, await readCorpus(options.corpusDir), options);
}

/**
 * Builds an index of the given documents and makes it current. Sentences are embedded once per distinct text;
 * passages are the mean of their sentences. On any error (the embedder's included) the live index is left as it was.
 */
export async function buildIndexOf(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<BuildResult> {
  const release = await acquireBuildLock(options.indexDir);
  try {
    return await buildLocked(embedder, corpus, options);
  } finally {
    await release();
  }
}

async function buildLocked(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  // What the current build already knows, by text hash: token counts and vectors (under the same embedder).
  const previous = await reusableRows(options.indexDir, embedder.fingerprint);
  const hashes = new Map<string, Buffer>();
  const hashOf = (key: string) => {
    let h = hashes.get(key);
    if (!h) hashes.set(key, (h = createHash('sha1').update(key).digest()));
    return h;
  };
  // Texts new to this build are tokenized once, here; their ids are kept for embedding.
  const counts = new Map<string, number>();
  const tokenIds = new Map<string, Int32Array>();
  const count = (t: string) => {
    const key = normalizeSpace(t);
    let n = counts.get(key) ?? previous.get(hashOf(key).toString('hex'))?.tokens;
    if (n === undefined) {
      const ids = embedder.tokenize(key);
      tokenIds.set(key, ids);
      n = ids.length;
    }
    counts.set(key, n);
    return n;
  };
  const chunking = effectiveChunking(embedder, options);
  const seen = new Set<string>();

  const passages: PassageRecord[] = [];
  const textRow = new Map<string, number>();
  const texts: string[] = [];
  const rowOf = (text: string) => {
    const key = normalizeSpace(text);
    let row = textRow.get(key);
    if (row === undefined) {
      row = texts.length;
      textRow.set(key, row);
      texts.push(key);
    }
    return row;
  };
  const blockIds = new Map<string, number>();
  for (const doc of corpus.documents) {
    for (const chunk of chunkText(doc.text, chunking, count, seen)) {
      const blockKey = `${doc.source}\0${chunk.block.start}`;
      if (!blockIds.has(blockKey)) blockIds.set(blockKey, blockIds.size);
      passages.push({
        id: `${doc.source}:${chunk.start}-${chunk.end}`,
        source: doc.source,
        start: chunk.start,
        end: chunk.end,
        text: chunk.text,
        norm: 0,
        block: blockIds.get(blockKey)!,
        sentences: chunk.sentences.map((s) => ({ start: s.start, end: s.end, row: rowOf(s.text) })),
      });
    }
  }

  // Text already embedded under the same model by the current build keeps its vector; only the rest is embedded.
  const dimension = embedder.dimension;
  const textHashes = new Uint8Array(texts.length * HASH_BYTES);
  const textTokens = new Uint16Array(texts.length);
  const textVectors = new Float32Array(texts.length * dimension);
  const missing: number[] = [];
  texts.forEach((text, row) => {
    const hash = hashOf(text);
    textHashes.set(hash, row * HASH_BYTES);
    textTokens[row] = Math.min(65535, count(text));
    const known = previous.get(hash.toString('hex'))?.vector;
    if (known && known.length === dimension) textVectors.set(known, row * dimension);
    else missing.push(row);
  });
  previous.clear();
  hashes.clear();
  await embedAll(
    embedder,
    missing.map((row) => tokenIds.get(texts[row]) ?? embedder.tokenize(texts[row])),
    (i, vector) => textVectors.set(vector, missing[i] * dimension),
    options.onProgress,
  );
  tokenIds.clear();

  const hnsw = new HierarchicalNSW('cosine', dimension);
  hnsw.initIndex(Math.max(1, passages.length), options.hnsw.M, options.hnsw.efConstruction);
  // A passage's vector is the normalised sum of its sentences': only sentences are embedded, each once, and a
  // passage's cosine to a query can be had from its sentences' (sum of their dot products / norm).
  const sum = new Float32Array(dimension);
  passages.forEach((p, label) => {
    sum.fill(0);
    for (const s of p.sentences) {
      const base = s.row * dimension;
      for (let i = 0; i < dimension; i++) sum[i] += textVectors[base + i];
    }
    let norm = 0;
    for (let i = 0; i < dimension; i++) norm += sum[i] * sum[i];
    p.norm = Math.sqrt(norm) || 1;
    hnsw.addPoint(Array.from(sum, (x) => x / p.norm), label);
  });

  const manifest: IndexManifest = {
    format: INDEX_FORMAT,
    modelId: embedder.modelId,
    embedder: embedder.fingerprint,
    dimension,
    chunking,
    hnsw: options.hnsw,
    corpusHash: corpus.hash,
    settingsKey: settingsKey(options),
    documents: corpus.documents.map((d) => ({ source: d.source, sha256: d.sha256, chars: d.text.length })),
    passages: passages.length,
    vectors: texts.length,
    builtAt: new Date().toISOString(),
    buildMs: Math.round(performance.now() - started),
  };
  const dir = await saveIndex(options.indexDir, { manifest, passages, hnsw, textVectors, textHashes, textTokens });
  return { dir, manifest, embedded: missing.length, reused: texts.length - missing.length };
}
