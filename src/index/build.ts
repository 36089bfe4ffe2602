// Changes to an index, by the document. A folder sync reads the corpus folder, finds the files added, changed and
// removed since the current version, and re-reads, re-embeds and re-indexes only those; a document change (the
// document API) does the same for the documents given. Each is one new version, made current at once; everything
// else is kept as it was. A rebuild (forced, or because the settings changed) makes every document anew.
import path from 'node:path';
import { corpusEmpty, readCorpus, type Corpus, type CorpusFile } from '../ingest/corpus.js';
import { EXTRACTOR_VERSION, type ExtractedDocument } from '../ingest/document.js';
import { asRead, extractCorpus, reuseKey } from '../ingest/extract.js';
import type { Skipped } from '../ingest/files.js';
import type { Embedder } from '../model/embedder.js';
import { INDEX_FORMAT, type DocumentEntry, type IndexManifest } from './manifest.js';
import type { IndexStore } from './store.js';
import { lazy, noChange, settingsKey, stageReporter, write, type BuildOptions, type BuildResult, type ChangeContext, type Plan } from './change.js';

export { BUILD_STAGES, settingsKey, type BuildOptions, type BuildResult, type BuildStage } from './change.js';

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
  const remove = rebuild
    ? []
    : [...entries.values()].filter((d) => d.origin === 'folder' && (!present.has(d.source) || toRead.some((f) => f.source === d.source))).map((d) => d.source);
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
  return {
    base,
    rebuild,
    documents,
    remove,
    kept,
    corpusHash: asRead(corpus, read.reread).hash,
    corpusDir: corpus.dir ? path.resolve(corpus.dir) : base?.corpusDir,
    skipped,
    blobs: [],
    extracted: read.extracted,
    reusedFiles: read.reused + kept.length,
  };
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
      const read = await extractCorpus(
        { files: [{ source: entry.source, format: entry.format, sha256: entry.sha256, bytes }], skipped: [], hash: '' },
        new Map(),
      );
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
export async function syncFolder(
  corpus: Corpus,
  embedder: () => Promise<Embedder>,
  options: BuildOptions & { force?: boolean; incrementalOnly?: boolean; waitMs?: number },
): Promise<BuildResult> {
  const release = await options.store.lock(options.waitMs ?? 0);
  try {
    const ctx: ChangeContext = { options, embedder: lazy(embedder), started: performance.now(), stage: stageReporter(options) };
    ctx.stage('reuse');
    const current = await options.store.currentManifest();
    if (!options.force && sameSettings(current, options) && current.corpusHash === corpus.hash) {
      const name = (await options.store.currentName())!;
      return noChange(name, current, { upToDate: true, reusedFiles: current.documents.length, skipped: current.skipped });
    }
    if (options.incrementalOnly && (options.force || !sameSettings(current, options))) {
      return noChange((await options.store.currentName()) ?? '', current!, { upToDate: false, needsRebuild: true });
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
