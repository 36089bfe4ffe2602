// The running server's own changes to the index, one at a time: documents put and deleted over the API, and the
// corpus folder's edits as the watcher sees them, each re-reading and re-embedding only what changed (by a runner:
// in this process, or in a worker thread of the server's), then loaded before it answers. A change that needs the
// whole index made again (no index yet, other settings) is left to the reindexer's build process.
import type { Config } from '../config.js';
import type { DocumentChange } from '../index/documents.js';
import type { DocumentEntry } from '../index/manifest.js';
import type { IndexStore } from '../index/store.js';
import type { Embedder } from '../model/embedder.js';
import { changesInProcess, type ChangeRunner } from './changes.js';

/** What a change made: the version that holds it, and the document as indexed (absent once deleted). */
export interface ChangeOutcome {
  version: string;
  /** Whether a new version was made (the same bytes put again change nothing). */
  changed: boolean;
  document?: DocumentEntry;
}

export interface LiveWriter {
  /** Puts a document's bytes (read by its media type, or its path's extension); resolves once this server serves it. */
  put(source: string, bytes: Buffer, contentType?: string): Promise<ChangeOutcome>;
  /** Deletes a document put over the API; resolves once this server serves the version without it. */
  remove(source: string): Promise<ChangeOutcome>;
  /** Asks for the corpus folder to be synced (after a quiet spell of `debounceMs`); returns at once. */
  requestSync(reason: string): void;
  /** Resolves when no change is running or waiting. */
  idle(): Promise<void>;
  /** The last folder sync's failure, if the last one failed. */
  lastError(): { message: string; code?: string; at: string } | null;
  /** Runs no change after the one running, and waits for it. */
  close(): Promise<void>;
}

export interface LiveWriterOptions {
  config: Config;
  store: IndexStore;
  /** The server's model: it embeds what a change holds that the index does not know (when no runner is given). */
  embedder: () => Promise<Embedder>;
  /** Makes the changes; in this process, with `store` and `embedder`, when absent. The writer closes it. */
  runner?: ChangeRunner;
  /** Loads the version a change made into the serving engine. */
  reload: () => Promise<void>;
  /** Asks the build process to make the index anew (a change that cannot be made in place). */
  rebuild: (reason: string) => void;
  debounceMs?: number;
  /** How long a change waits for another process's to end before it is refused (BUILD_IN_PROGRESS). */
  waitMs?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

export function createLiveWriter(options: LiveWriterOptions): LiveWriter {
  const log = options.log ?? (() => undefined);
  const runner = options.runner ?? changesInProcess(options.config, options.store, options.embedder, options.waitMs ?? 10_000);
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let failure: { message: string; code?: string; at: string } | null = null;
  /** Runs `work` after every change asked before it, whatever their outcome. */
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };
  const document = async (changes: DocumentChange[]): Promise<ChangeOutcome> =>
    queued(async () => {
      const started = performance.now();
      const result = await runner.documents(changes);
      const made = performance.now();
      if (!result.upToDate) await options.reload();
      // How long the change took to make, and the new version to load: together, how soon it is searchable.
      const timing = { madeMs: Math.round(made - started), loadedMs: Math.round(performance.now() - made) };
      log('documents.changed', { version: result.name, changed: !result.upToDate, sources: changes.map((c) => c.source), ...timing });
      return { version: result.name, changed: !result.upToDate, document: result.documents.find((d) => d.source === changes[0].source) };
    });
  const sync = (reason: string) =>
    queued(async () => {
      if (closed) return;
      try {
        const started = performance.now();
        const result = await runner.sync();
        failure = null;
        if (result.needsRebuild) return options.rebuild(`${reason}: the index must be made anew`);
        if (result.upToDate) return;
        const made = performance.now();
        await options.reload();
        const timing = { madeMs: Math.round(made - started), loadedMs: Math.round(performance.now() - made) };
        log('folder.synced', { reason, version: result.name, changed: result.changed, removed: result.removed, embedded: result.embedded, ...timing });
      } catch (err) {
        failure = { message: (err as Error).message, code: (err as { code?: string }).code, at: new Date().toISOString() };
        log('folder.sync.failed', { reason, ...failure });
      }
    });
  return {
    put: (source, bytes, contentType) => document([{ source, bytes, contentType }]),
    remove: (source) => document([{ source }]),
    requestSync(reason) {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void sync(reason);
      }, options.debounceMs ?? 0);
    },
    async idle() {
      while (timer) await new Promise((resolve) => setTimeout(resolve, 10));
      await chain;
    },
    lastError: () => failure,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain;
      await runner.close();
    },
  };
}
