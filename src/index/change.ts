// Writing a change: a plan (the documents to index, the sources to remove, the entries kept) made into the next
// version of the index, step by step, with the manifest that describes it. The folder's sync (build.ts) and the
// document API (documents.ts) each make a plan; this is where both are written.
import { CHUNKER_VERSION, type ChunkingOptions } from '../ingest/chunking.js';
import { EXTRACTOR_VERSION, type ExtractedDocument } from '../ingest/document.js';
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
  return JSON.stringify({
    model: options.model,
    extractor: EXTRACTOR_VERSION,
    chunking: { ...options.chunking, version: CHUNKER_VERSION },
    hnsw: options.hnsw,
  });
}

/** A change's documents: the new texts to index, the sources whose passages go, and the manifest's other parts. */
/**
 * The result of a change that made no version: `upToDate` when there was nothing to do, `needsRebuild` when it could
 * not be made in place; nothing embedded, read or removed.
 */
export function noChange(
  name: string,
  manifest: IndexManifest,
  found: { upToDate: boolean; needsRebuild?: boolean; reusedFiles?: number; skipped?: Skipped[] },
): BuildResult {
  return {
    name,
    manifest,
    upToDate: found.upToDate,
    rebuilt: false,
    embedded: 0,
    reused: 0,
    extracted: 0,
    reusedFiles: found.reusedFiles ?? 0,
    changed: 0,
    removed: 0,
    skipped: found.skipped ?? [],
    ...(found.needsRebuild ? { needsRebuild: true } : {}),
  };
}

export interface Plan {
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

export interface ChangeContext {
  options: BuildOptions;
  embedder: () => Promise<Embedder>;
  started: number;
  stage: (s: BuildStage) => void;
}

/** The model, loaded once on first need. */
export function lazy(get: () => Promise<Embedder>): () => Promise<Embedder> {
  let loaded: Promise<Embedder> | null = null;
  return () => (loaded ??= get());
}

/** Calls onStage once per step, in order, however many batches report it. */
export function stageReporter(options: BuildOptions): (s: BuildStage) => void {
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
export async function write(plan: Plan, ctx: ChangeContext): Promise<BuildResult> {
  const { options, embedder } = ctx;
  const { store, signal } = options;
  const rebuild = plan.rebuild || !plan.base;
  const model = rebuild ? await embedder() : null;
  const base = plan.base;
  const chunking = rebuild
    ? { ...options.chunking, maxTokens: Math.min(options.chunking.maxTokens, model!.maxTokens), version: CHUNKER_VERSION }
    : base!.chunking;
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
      const made = await makeSegment(
        batch.map((b) => b.doc),
        { chunking, known, embedder, dimension, onProgress: options.onProgress, onStage: ctx.stage, signal },
      );
      for (const p of made.segment.passages) passages.set(p.source, (passages.get(p.source) ?? 0) + 1);
      embedded += made.embedded;
      reused += made.reused;
      if (made.segment.documents.length) await writer.add(made.segment);
    }
    ctx.stage('save');
    for (const blob of plan.blobs) await writer.keepBlob(blob.sha256, blob.bytes);
    const manifest = manifestOf(plan, ctx, { model, chunking, hnsw, dimension, passages });
    signal?.throwIfAborted();
    const name = await writer.commit(manifest);
    writer = null;
    return {
      name,
      manifest,
      upToDate: false,
      rebuilt: rebuild,
      embedded,
      reused,
      extracted: plan.extracted,
      reusedFiles: plan.reusedFiles,
      changed: plan.documents.length,
      removed: plan.remove.length,
      skipped: plan.skipped,
    };
  } finally {
    await writer?.abort();
  }
}

/** The manifest of the version a plan makes: its documents' entries (kept and new), the settings, the counts. */
function manifestOf(
  plan: Plan,
  ctx: ChangeContext,
  made: { model: Embedder | null; chunking: IndexManifest['chunking']; hnsw: IndexManifest['hnsw']; dimension: number; passages: Map<string, number> },
): IndexManifest {
  const { model, chunking, hnsw, dimension, passages } = made;
  const { options } = ctx;
  const base = plan.base;
  const rebuild = plan.rebuild || !base;
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
  return manifest;
}
