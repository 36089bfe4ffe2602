// Watches the corpus folder and asks the reindexer for a rebuild after each burst of edits to documents. An error of
// the watcher (too many files to watch) is logged and kept for /health, never thrown. A corpus folder renamed away,
// removed or replaced is noticed by a check every few seconds: /health says the watch is lost until the folder is
// back, then it is watched anew and rebuilt, so later edits are never missed.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Reindexer } from './reindexer.js';

export interface CorpusWatcher {
  /** The watcher's last error, if any: what /health reports. */
  lastError(): { message: string; at: string } | null;
  /** `watching`, or `lost` while the corpus folder is gone. */
  state(): 'watching' | 'lost';
  close(): Promise<void>;
}

/** What the watcher needs of chokidar's FSWatcher: its events, and closing it. */
export type FolderWatcher = Pick<FSWatcher, 'on' | 'close'>;

export interface WatchOptions {
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Starts watching the folder; chokidar by default. */
  watchFolder?: (dir: string) => FolderWatcher;
  /** How often the folder itself is checked; 0 never. */
  checkMs?: number;
}

function chokidarWatch(corpusDir: string): FolderWatcher {
  return watch(corpusDir, {
    ignoreInitial: true,
    // Every file counts (one the build skips is named in its summary), but for hidden ones, which it never reads.
    ignored: (file) => path.basename(file).startsWith('.') && path.resolve(file) !== path.resolve(corpusDir),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
  });
}

/** The folder's identity (device and inode), or null when it is gone. */
async function identity(dir: string): Promise<string | null> {
  const info = await stat(dir).catch(() => null);
  return info?.isDirectory() ? `${info.dev}:${info.ino}` : null;
}

export function watchCorpus(corpusDir: string, reindexer: Pick<Reindexer, 'request'>, options: WatchOptions = {}): CorpusWatcher {
  const log = options.log ?? (() => undefined);
  const start = options.watchFolder ?? chokidarWatch;
  let lastError: { message: string; at: string } | null = null;
  let lost = false;
  let watched: string | null = null;
  let watcher: FolderWatcher;
  const begin = () => {
    watcher = start(corpusDir);
    watcher.on('all', (event, file) => {
      // The folder itself gone: chokidar stops watching it, so it is watched anew once it is back (see check).
      if (event === 'unlinkDir' && path.resolve(file) === path.resolve(corpusDir)) watched = null;
      reindexer.request(`${event} ${path.relative(corpusDir, file)}`);
    });
    watcher.on('error', (err) => {
      lastError = { message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
      log('watch.error', lastError);
    });
  };
  begin();
  void identity(corpusDir).then((id) => (watched = id));
  // The folder itself: gone (watch lost), back or replaced (watched anew, and rebuilt for what changed meanwhile).
  const check = async () => {
    const id = await identity(corpusDir);
    if (!id) {
      if (!lost) {
        lost = true;
        lastError = { message: 'the corpus folder is gone; it is watched again when it is back', at: new Date().toISOString() };
        log('watch.lost', { folder: path.basename(corpusDir) });
      }
      return;
    }
    if (lost || id !== watched) {
      await watcher.close();
      begin();
      watched = id;
      lost = false;
      lastError = null;
      log('watch.restarted', {});
      reindexer.request('the corpus folder came back or was replaced');
    }
  };
  const timer = options.checkMs === 0 ? null : setInterval(() => void check(), options.checkMs ?? 2000);
  timer?.unref();
  return {
    lastError: () => lastError,
    state: () => (lost ? 'lost' : 'watching'),
    async close() {
      if (timer) clearInterval(timer);
      await watcher.close();
    },
  };
}
