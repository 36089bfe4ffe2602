// Watches the corpus folder and asks the reindexer for a rebuild after each burst of edits to documents. An error
// of the watcher (a folder gone, too many files to watch) is logged and kept for /health, never thrown.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { CORPUS_EXTENSIONS } from '../ingest/corpus.js';
import type { Reindexer } from './reindexer.js';

export interface CorpusWatcher {
  /** The watcher's last error, if any: what /health reports. */
  lastError(): { message: string; at: string } | null;
  close(): Promise<void>;
}

/** What the watcher needs of chokidar's FSWatcher: its events, and closing it. */
export type FolderWatcher = Pick<FSWatcher, 'on' | 'close'>;

export interface WatchOptions {
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Starts watching the folder; chokidar by default. */
  watchFolder?: (dir: string) => FolderWatcher;
}

function chokidarWatch(corpusDir: string): FolderWatcher {
  return watch(corpusDir, {
    ignoreInitial: true,
    ignored: (file, stats) => Boolean(stats?.isFile() && !CORPUS_EXTENSIONS.includes(path.extname(file).toLowerCase())),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
  });
}

export function watchCorpus(corpusDir: string, reindexer: Pick<Reindexer, 'request'>, options: WatchOptions = {}): CorpusWatcher {
  const log = options.log ?? (() => undefined);
  let lastError: { message: string; at: string } | null = null;
  const watcher = (options.watchFolder ?? chokidarWatch)(corpusDir);
  watcher.on('all', (event, file) => reindexer.request(`${event} ${path.relative(corpusDir, file)}`));
  watcher.on('error', (err) => {
    lastError = { message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
    log('watch.error', lastError);
  });
  return { lastError: () => lastError, close: () => watcher.close() };
}
