// How a server's changes are made: in this process (the command-line agent server, the tests that give their own
// model), or in a worker thread of their own (the HTTP server), so that a change does not wait for its turn on the
// event loop behind every search the server is answering. Either way the change is the same code, in index/.
import { buildSettings, type Config } from '../config.js';
import { AppError, type ErrorCode, type ErrorIssue } from '../errors.js';
import { syncFolder } from '../index/build.js';
import { changeDocuments, type DocumentChange } from '../index/documents.js';
import type { DocumentEntry } from '../index/manifest.js';
import type { IndexStore } from '../index/store.js';
import { readCorpus, type FileHashes } from '../ingest/corpus.js';
import type { Embedder } from '../model/embedder.js';

/** A change of documents made: its version, whether it made one, and the entries of the documents it changed. */
export interface DocumentsDone {
  name: string;
  upToDate: boolean;
  documents: DocumentEntry[];
}

/** A sync of the corpus folder made, or found needing a whole new index (nothing done then). */
export interface SyncDone {
  name: string;
  upToDate: boolean;
  needsRebuild: boolean;
  changed: number;
  removed: number;
  embedded: number;
}

/** Makes a server's changes, one at a time as they are given (the live writer queues them). */
export interface ChangeRunner {
  documents(changes: DocumentChange[]): Promise<DocumentsDone>;
  sync(): Promise<SyncDone>;
  close(): Promise<void>;
}

/** The runner of this process: the store and model given. `waitMs`: how long a change waits for another's lock. */
export function changesInProcess(config: Config, store: IndexStore, embedder: () => Promise<Embedder>, waitMs = 10_000): ChangeRunner {
  const options = () => ({ store, ...buildSettings(config), waitMs, maxBytes: config.MAX_DOCUMENT_BYTES });
  // The folder's files are hashed again only when the file system says they changed since the last sync.
  const hashes: FileHashes = new Map();
  return {
    async documents(changes) {
      const result = await changeDocuments(changes, embedder, options());
      const sources = new Set(changes.map((c) => c.source));
      return { name: result.name, upToDate: result.upToDate, documents: result.manifest.documents.filter((d) => sources.has(d.source)) };
    },
    async sync() {
      const result = await syncFolder(await readCorpus(config.CORPUS_DIR, { hashes }), embedder, { ...options(), incrementalOnly: true });
      const { name, upToDate, changed, removed, embedded } = result;
      return { name, upToDate, needsRebuild: Boolean(result.needsRebuild), changed, removed, embedded };
    },
    close: async () => undefined,
  };
}

/** An error as it crosses from a worker: its catalogue code and words kept, so the answer is the same. */
export interface CarriedError {
  code?: string;
  message: string;
  issues?: ErrorIssue[];
}

export function carried(err: unknown): CarriedError {
  const e = err as AppError;
  return { ...(e instanceof AppError ? { code: e.code } : {}), message: e?.message ?? String(err), ...(e?.issues ? { issues: e.issues } : {}) };
}

/** The error a worker carried, made again: an AppError with the same code, words and issues; else a plain error. */
export function uncarried(e: CarriedError): Error {
  if (!e.code) return new Error(e.message);
  const err = new AppError(e.code as ErrorCode);
  return Object.assign(err, { message: e.message, ...(e.issues ? { issues: e.issues } : {}) });
}
