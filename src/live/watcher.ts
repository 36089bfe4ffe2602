// Watches the corpus folder and asks the reindexer for a rebuild after each burst of edits to documents. An error
// of the watcher (a folder gone, too many files to watch) is logged and kept for /health, never thrown.
import path from 'node:path';
import { watch } from 'chokidar';
import { CORPUS_EXTENSIONS } from '../ingest/corpus.js';
import type { Reindexer } from './reindexer.js';

export interface CorpusWatcher {
  /** The watcher's last error, if any: what /health reports. */
  lastError(): { message: string; at: string } | null;
  close(): Promise<void>;
}

export function watchCorpus(corpusDir: string, reindexer: Pick<Reindexer, 'request'>, log: (event: string, fields?: Record<string, unknown>) => void = () => undefined): CorpusWatcher {
  let lastError: { message: string; at: string } | null = null;
  const watcher = watch(corpusDir, {
    ignoreInitial: true,
    ignored: (file, stats) => Boolean(stats?.isFile() && !CORPUS_EXTENSIONS.includes(path.extname(file).toLowerCase())),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
  });
  watcher.on('all', (event, file) => reindexer.request(`${event} ${path.relative(corpusDir, file)}`));
  watcher.on('error', (err) => {
    lastError = { message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
    log('watch.error', lastError);
  });
  return { lastError: () => lastError, close: () => watcher.close() };
}
