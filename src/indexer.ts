// Corpus folder → passages → vectors → a saved index build.
import hnswlib from 'hnswlib-node';
import { CHUNKER_VERSION, chunkText, type ChunkingOptions } from './chunking.js';
import { readCorpus, type Corpus } from './corpus.js';
import type { Embedder } from './embedding.js';
import { INDEX_FORMAT, currentBuild, saveIndex, type IndexManifest, type PassageRecord } from './index-store.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const { HierarchicalNSW } = hnswlib;

export interface BuildOptions {
  indexDir: string;
  chunking: ChunkingOptions;
  hnsw: { M: number; efConstruction: number };
  /** Called as texts are embedded: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface BuildResult {
  dir: string;
  manifest: IndexManifest;
}

/** Embeds texts in slices so progress can be reported; vectors come back in input order. */
async function embedAll(embedder: Embedder, texts: string[], onProgress?: (done: number, total: number) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const slice = 256;
  onProgress?.(0, texts.length);
  for (let i = 0; i < texts.length; i += slice) {
    out.push(...(await embedder.embedPassages(texts.slice(i, i + slice))));
    onProgress?.(Math.min(i + slice, texts.length), texts.length);
  }
  return out;
}

/** The chunking a build with these options and this embedder uses: the setting, capped by the model's limit. */
function effectiveChunking(embedder: Embedder, options: BuildOptions) {
  return { ...options.chunking, maxTokens: Math.min(options.chunking.maxTokens, embedder.maxTokens), version: CHUNKER_VERSION };
}

/** The current build's manifest when it was made from this corpus with these settings and model; else null. */
export async function upToDateManifest(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<IndexManifest | null> {
  const dir = await currentBuild(options.indexDir);
  if (!dir) return null;
  try {
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
    const same =
      m.format === INDEX_FORMAT &&
      m.corpusHash === corpus.hash &&
      m.modelId === embedder.modelId &&
      m.dimension === embedder.dimension &&
      JSON.stringify(m.chunking) === JSON.stringify(effectiveChunking(embedder, options)) &&
      JSON.stringify(m.hnsw) === JSON.stringify(options.hnsw);
    return same ? m : null;
  } catch {
    return null;
  }
}

/** Builds an index of the corpus folder and makes it current. Throws CORPUS_MISSING / CORPUS_EMPTY. */
export async function buildIndex(embedder: Embedder, options: BuildOptions & { corpusDir: string }): Promise<BuildResult> {
  return buildIndexOf(embedder, await readCorpus(options.corpusDir), options);
}

/**
 * Builds an index of the given documents and makes it current. Passages and their sentences are embedded once per
 * distinct text. On any error (the embedder's included) the live index is left as it was.
 */
export async function buildIndexOf(embedder: Embedder, corpus: Corpus, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const count = (t: string) => embedder.countTokens(t);
  const chunking = effectiveChunking(embedder, options);
  const seen = new Set<string>();

  const passages: PassageRecord[] = [];
  const textRow = new Map<string, number>();
  const texts: string[] = [];
  const rowOf = (text: string) => {
    const key = text.replace(/\s+/g, ' ').trim();
    let row = textRow.get(key);
    if (row === undefined) {
      row = texts.length;
      textRow.set(key, row);
      texts.push(key);
    }
    return row;
  };
  for (const doc of corpus.documents) {
    for (const chunk of chunkText(doc.text, chunking, count, seen)) {
      passages.push({
        id: `${doc.source}:${chunk.start}-${chunk.end}`,
        source: doc.source,
        start: chunk.start,
        end: chunk.end,
        text: chunk.text,
        row: rowOf(chunk.text),
        sentences: chunk.sentences.map((s) => ({ start: s.start, end: s.end, row: rowOf(s.text) })),
      });
    }
  }

  const vectors = await embedAll(embedder, texts, options.onProgress);
  const dimension = embedder.dimension;
  const textVectors = new Float32Array(texts.length * dimension);
  vectors.forEach((v, i) => textVectors.set(v, i * dimension));

  const hnsw = new HierarchicalNSW('cosine', dimension);
  hnsw.initIndex(Math.max(1, passages.length), options.hnsw.M, options.hnsw.efConstruction);
  passages.forEach((p, label) => hnsw.addPoint(Array.from(vectors[p.row]), label));

  const manifest: IndexManifest = {
    format: INDEX_FORMAT,
    modelId: embedder.modelId,
    dimension,
    chunking,
    hnsw: options.hnsw,
    corpusHash: corpus.hash,
    documents: corpus.documents.map((d) => ({ source: d.source, sha256: d.sha256, chars: d.text.length })),
    passages: passages.length,
    vectors: texts.length,
    builtAt: new Date().toISOString(),
    buildMs: Math.round(performance.now() - started),
  };
  const dir = await saveIndex(options.indexDir, { manifest, passages, hnsw, textVectors });
  return { dir, manifest };
}
