// Changes to an index, by the document. A folder sync reads the corpus folder, finds the files added, changed and
// removed since the current version, and re-reads, re-embeds and re-indexes only those; a document change (the
// document API) does the same for the documents given. Each is one new version, made current at once; everything
// else is kept as it was. A rebuild (forced, or because the settings changed) makes every document anew.
import path from 'node:path';
import { CHUNKER_VERSION, type ChunkingOptions } from '../ingest/chunking.js';
import { corpusEmpty, readCorpus, type Corpus, type CorpusFile } from '../ingest/corpus.js';
import { EXTRACTOR_VERSION, type ExtractedDocument } from '../ingest/document.js';
import { asRead, extractCorpus, reuseKey } from '../ingest/extract.js';
import type { Skipped } from '../ingest/files.js';
import type { Embedder } from '../model/embedder.js';
import { fingerprintModel, INDEX_FORMAT, type DocumentEntry, type DocumentOrigin, type IndexManifest } from './manifest.js';
import { batches, makeSegment } from './segment.js';
import type { IndexStore, IndexWriter } from './store.js';

/** The steps of a change, in order, as `onStage` reports them. */
export const BUILD_STAGES = ['reuse', 'extract', 'chunk', 'embed', 'assemble', 'save'] as const;
export type BuildStage = (typeof BUILD_STAGES)[number];


export interface BuildOptions {
  /** Where the index is read from (what it may reuse) and written to. */
  store: IndexStore;
  /** The configured model and its options, as given (not loaded): part of what makes two indexes the same. */
  model: string;
  chunking: Omit<ChunkingOptions, 'version'>;
  hnsw: { M: number; efConstruction: number };
  /** Called as texts are embedded: `done` of `total` tokens (texts go to the model shortest first). */
  onProgress?: (done: number, total: number) => void;
  /** Called as each step starts. */
  onStage?: (stage: BuildStage) => void;
  /** Aborting it stops the change before its next step (and before anything is made current): it throws the reason. */
  signal?: AbortSignal;
}

export interface BuildResult {
  /** The version that holds the change; the current one when nothing changed. */
  name: string;
  manifest: IndexManifest;
  /** Whether the index was already up to date (nothing was written). */
  upToDate: boolean;
  /** Whether every document was indexed anew (first build, forced, or the settings changed). */
  rebuilt: boolean;
  /** Texts embedded, and texts whose vectors the index already had. */
  embedded: number;
  reused: number;
  /** Files read, and files whose text the index already had. */
  extracted: number;
  reusedFiles: number;
  /** Documents added or changed, and removed. */
  changed: number;
  removed: number;
  /** Every file of the folder left out, and why. */
  skipped: Skipped[];
  /** Set when `incrementalOnly` was asked and the index must be made anew: nothing was done. */
  needsRebuild?: boolean;
}

/** Every setting that shapes an index: the model as configured, the readers' version, chunking (with its version), HNSW. */
export function settingsKey(options: Pick<BuildOptions, 'model' | 'chunking' | 'hnsw'>): string {
  return JSON.stringify({ model: options.model, extractor: EXTRACTOR_VERSION, chunking: { ...options.chunking, version: CHUNKER_VERSION }, hnsw: options.hnsw });
}

/** Whether `manifest` was made under these settings, so that a change may add to it rather than rebuild it. */
export function sameSettings(manifest: IndexManifest | null, options: Pick<BuildOptions, 'model' | 'chunking' | 'hnsw'>): manifest is IndexManifest {
  return manifest !== null && manifest.format === INDEX_FORMAT && manifest.settingsKey === settingsKey(options);
}

/**
 * The current manifest when it was made from this corpus folder with the same settings; else null. Needs no model,
 * so an unchanged corpus is recognised before any model is loaded.
 */
export async function upToDateManifest(corpusHash: string, options: BuildOptions): Promise<IndexManifest | null> {
  const m = await options.store.currentManifest();
  return sameSettings(m, options) && m.corpusHash === corpusHash ? m : null;
}

/** A change's documents: the new texts to index, the sources whose passages go, and the manifest's other parts. */
interface Plan {
  base: IndexManifest | null;
  rebuild: boolean;
  documents: { doc: ExtractedDocument; origin: DocumentOrigin; bytes: number }[];
  remove: string[];
  /** Entries of the base kept as they are. */
  kept: DocumentEntry[];
  corpusHash: string;
  corpusDir?: string;
  skipped: Skipped[];
  blobs: { sha256: string; bytes: Buffer }[];
  extracted: number;
  reusedFiles: number;
}

interface ChangeContext {
  options: BuildOptions;
  embedder: () => Promise<Embedder>;
  started: number;
  stage: (s: BuildStage) => void;
}

/** The model, loaded once on first need. */
function lazy(get: () => Promise<Embedder>): () => Promise<Embedder> {
  let loaded: Promise<Embedder> | null = null;
  return () => (loaded ??= get());
}

/** Calls onStage once per step, in order, however many batches report it. */
function stageReporter(options: BuildOptions): (s: BuildStage) => void {
  let last = -1;
  return (s) => {
    options.signal?.throwIfAborted();
    const at = BUILD_STAGES.indexOf(s);
    if (at <= last) return;
    last = at;
    options.onStage?.(s);
  };
}

/** Writes the plan as the next version: its removals, a segment per batch of documents, the blobs, the manifest. */
async function write(plan: Plan, ctx: ChangeContext): Promise<BuildResult> {
  const { options, embedder } = ctx;
  const { store, signal } = options;
  const rebuild = plan.rebuild || !plan.base;
  const model = rebuild ? await embedder() : null;
  const base = plan.base;
  const chunking = rebuild ? { ...options.chunking, maxTokens: Math.min(options.chunking.maxTokens, model!.maxTokens), version: CHUNKER_VERSION } : base!.chunking;
  const hnsw = rebuild ? options.hnsw : base!.hnsw;
  const dimension = model?.dimension ?? base!.dimension;
  // Vectors are taken from the index only under the embedder they were made with; token counts under its model.
  const withVectors = !rebuild || base?.embedder === model!.fingerprint;
  const sameModel = !rebuild || (base !== null && fingerprintModel(base.embedder) === fingerprintModel(model!.fingerprint));
  let writer: IndexWriter | null = null;
  try {
    writer = await store.begin({ replaceAll: rebuild, dimension, hnsw, signal });
    const open = writer;
    const known = (hashes: string[]) => (sameModel ? open.known(hashes, withVectors) : Promise.resolve(new Map()));
    if (!rebuild && plan.remove.length) await writer.remove(plan.remove);
    let embedded = 0;
    let reused = 0;
    const passages = new Map<string, number>();
    for (const batch of batches(plan.documents)) {
      const made = await makeSegment(batch.map((b) => b.doc), { chunking, known, embedder, dimension, onProgress: options.onProgress, onStage: ctx.stage, signal });
      for (const p of made.segment.passages) passages.set(p.source, (passages.get(p.source) ?? 0) + 1);
      embedded += made.embedded;
      reused += made.reused;
      if (made.segment.documents.length) await writer.add(made.segment);
    }
    ctx.stage('save');
    for (const blob of plan.blobs) await writer.keepBlob(blob.sha256, blob.bytes);
    const indexedAt = new Date().toISOString();
    const entries: DocumentEntry[] = [
      ...plan.kept,
      ...plan.documents.map(({ doc, origin, bytes }) => ({
        source: doc.source,
        origin,
        format: doc.format,
        sha256: doc.sha256,
        bytes,
        chars: doc.text.length,
        ...(doc.title ? { title: doc.title } : {}),
        passages: passages.get(doc.source) ?? 0,
        indexedAt,
      })),
    ].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    const embedderId = model ? { modelId: model.modelId, embedder: model.fingerprint } : { modelId: base!.modelId, embedder: base!.embedder };
    const manifest: IndexManifest = {
      format: INDEX_FORMAT,
      version: (base?.version ?? 0) + 1,
      ...embedderId,
      dimension,
      chunking,
      hnsw,
      extractor: rebuild ? EXTRACTOR_VERSION : base!.extractor,
      settingsKey: rebuild ? settingsKey(options) : base!.settingsKey,
      corpusHash: plan.corpusHash,
      ...(plan.corpusDir ? { corpusDir: plan.corpusDir } : {}),
      documents: entries,
      skipped: plan.skipped,
      passages: entries.reduce((n, d) => n + d.passages, 0),
      builtAt: indexedAt,
      buildMs: Math.round(performance.now() - ctx.started),
    };
    signal?.throwIfAborted();
    const name = await writer.commit(manifest);
    writer = null;
    return { name, manifest, upToDate: false, rebuilt: rebuild, embedded, reused, extracted: plan.extracted, reusedFiles: plan.reusedFiles, changed: plan.documents.length, removed: plan.remove.length, skipped: plan.skipped };
  } finally {
    await writer?.abort();
  }
}

/** A file's size, known from its walk or its bytes. */
const sizeOf = (file: CorpusFile) => file.size ?? file.bytes?.length ?? 0;

/**
 * What a folder sync does: with the same settings, the files whose bytes changed, the files new to the index, the
 * documents whose files are gone; otherwise (or when `force`) every file, read again unless its bytes are unchanged.
 * Documents put over the API are kept; a folder file at an API document's path is skipped ('conflict').
 */
async function planFolder(corpus: Corpus, options: BuildOptions, force: boolean): Promise<Plan> {
  const { store, signal } = options;
  const base = await store.currentManifest();
  const rebuild = force || !sameSettings(base, options);
  const entries = new Map((base?.documents ?? []).map((d) => [d.source, d]));
  const api = (base?.documents ?? []).filter((d) => d.origin === 'api');
  const apiSources = new Set(api.map((d) => d.source));
  const skippedBefore = new Map((base?.skipped ?? []).filter((s) => s.sha256).map((s) => [s.source, s]));
  const skipped: Skipped[] = [...corpus.skipped];
  const toRead: CorpusFile[] = [];
  const kept: DocumentEntry[] = rebuild ? [] : [...api];
  for (const file of corpus.files) {
    const entry = entries.get(file.source);
    const before = skippedBefore.get(file.source);
    if (apiSources.has(file.source)) skipped.push({ source: file.source, code: 'conflict', reason: 'a document of this path was put over the document API' });
    else if (!rebuild && entry?.origin === 'folder' && entry.sha256 === file.sha256 && entry.format === file.format) kept.push(entry);
    else if (!rebuild && before && before.sha256 === file.sha256) skipped.push(before);
    else toRead.push(file);
  }
  const present = new Set(corpus.files.map((f) => f.source));
  const remove = rebuild ? [] : [...entries.values()].filter((d) => d.origin === 'folder' && (!present.has(d.source) || toRead.some((f) => f.source === d.source))).map((d) => d.source);
  // A rebuild under the same readers takes each unchanged file's text from the index rather than reading it again.
  const reusable = new Map<string, ExtractedDocument>();
  if (rebuild && base?.extractor === EXTRACTOR_VERSION) {
    const same = toRead.filter((f) => entries.get(f.source)?.sha256 === f.sha256).map((f) => f.source);
    for (const doc of (await store.documents(same)).values()) reusable.set(reuseKey(doc), doc);
  }
  const read = await extractCorpus({ files: toRead, skipped: [], hash: corpus.hash }, reusable, signal);
  skipped.push(...read.skipped);
  const sizes = new Map(toRead.map((f) => [f.source, sizeOf(f)]));
  const documents: Plan['documents'] = read.documents.map((doc) => ({ doc, origin: 'folder', bytes: sizes.get(doc.source) ?? 0 }));
  if (rebuild) documents.push(...(await apiDocuments(store, api, base?.extractor === EXTRACTOR_VERSION)));
  skipped.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  if (!documents.length && !kept.length) throw corpusEmpty(corpus.dir ?? 'given', skipped);
  // The corpus recorded is the one read (asRead): a file edited after the walk is under the hash of what was read.
  return { base, rebuild, documents, remove, kept, corpusHash: asRead(corpus, read.reread).hash, corpusDir: corpus.dir ? path.resolve(corpus.dir) : base?.corpusDir, skipped, blobs: [], extracted: read.extracted, reusedFiles: read.reused + kept.length };
}

/** The documents put over the API, for a rebuild: their text as indexed, or read again from their kept bytes. */
async function apiDocuments(store: IndexStore, api: DocumentEntry[], sameReaders: boolean): Promise<Plan['documents']> {
  if (!api.length) return [];
  const texts = sameReaders ? await store.documents(api.map((d) => d.source)) : new Map<string, ExtractedDocument>();
  const out: Plan['documents'] = [];
  for (const entry of api) {
    let doc = texts.get(entry.source);
    if (!doc) {
      const bytes = await store.blob(entry.sha256);
      if (!bytes) continue;
      const read = await extractCorpus({ files: [{ source: entry.source, format: entry.format, sha256: entry.sha256, bytes }], skipped: [], hash: '' }, new Map());
      doc = read.documents[0];
    }
    if (doc) out.push({ doc, origin: 'api', bytes: entry.bytes });
  }
  return out;
}

/**
 * Brings the index up to date with the corpus folder: only what changed is read, embedded and indexed, as one new
 * version; everything when `force`, when there is no index, or when the settings changed. Throws BUILD_IN_PROGRESS
 * when another change of the index runs, CORPUS_EMPTY when the index would hold no document.
 */
export async function syncFolder(corpus: Corpus, embedder: () => Promise<Embedder>, options: BuildOptions & { force?: boolean; incrementalOnly?: boolean; waitMs?: number }): Promise<BuildResult> {
  const release = await options.store.lock(options.waitMs ?? 0);
  try {
    const ctx: ChangeContext = { options, embedder: lazy(embedder), started: performance.now(), stage: stageReporter(options) };
    ctx.stage('reuse');
    const current = await options.store.currentManifest();
    if (!options.force && sameSettings(current, options) && current.corpusHash === corpus.hash) {
      const name = (await options.store.currentName())!;
      return { name, manifest: current, upToDate: true, rebuilt: false, embedded: 0, reused: 0, extracted: 0, reusedFiles: current.documents.length, changed: 0, removed: 0, skipped: current.skipped };
    }
    if (options.incrementalOnly && (options.force || !sameSettings(current, options))) {
      return { name: (await options.store.currentName()) ?? '', manifest: current!, upToDate: false, rebuilt: false, embedded: 0, reused: 0, extracted: 0, reusedFiles: 0, changed: 0, removed: 0, skipped: [], needsRebuild: true };
    }
    ctx.stage('extract');
    const plan = await planFolder(corpus, options, Boolean(options.force));
    return await write(plan, ctx);
  } finally {
    await release();
  }
}

/** Builds (or brings up to date) the index of the corpus folder. Throws CORPUS_MISSING / CORPUS_EMPTY. */
export async function buildIndex(embedder: Embedder, options: BuildOptions & { corpusDir: string; force?: boolean }): Promise<BuildResult> {
  return buildIndexOf(embedder, await readCorpus(options.corpusDir), options);
}

/** As syncFolder, with a model already loaded. */
export async function buildIndexOf(embedder: Embedder, corpus: Corpus, options: BuildOptions & { force?: boolean }): Promise<BuildResult> {
  return syncFolder(corpus, async () => embedder, options);
}

export { write as writePlan, lazy, stageReporter, type Plan, type ChangeContext };
