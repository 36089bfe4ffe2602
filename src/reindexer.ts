// Rebuilds in the background for a running server: one build at a time in a child process, bursts of requests
// (file events, admin calls) folded into one follow-up build, and the result swapped in only once it loads.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watch, type FSWatcher } from 'chokidar';
import type { Config } from './config.js';
import { CORPUS_EXTENSIONS } from './corpus.js';

export interface ReindexStatus {
  running: boolean;
  /** A rebuild was asked for while one was running; it starts when that one ends. */
  queued: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastError: { message: string; at: string } | null;
}

export interface Reindexer {
  /** Asks for a rebuild; returns at once. */
  request(reason: string): void;
  /** Resolves when no build is running or queued. */
  idle(): Promise<void>;
  status(): ReindexStatus;
  close(): Promise<void>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The config as environment variables, so a child process builds exactly what this process serves. */
function configEnv(config: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) env[key] = String(value);
  return env;
}

/** Runs `build` in a child process; resolves with its exit code and the end of its stderr. */
export function runBuildProcess(config: Config): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // One process (node with tsx's loader), so the pid that holds the build lock is the one that can be stopped.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'build'], {
      cwd: ROOT,
      env: configEnv(config),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', (err) => resolve({ code: null, stderr: err.message }));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

export interface ReindexerOptions {
  config: Config;
  /** Loads the new build into the serving engine; throws if it is not usable (the old one keeps serving). */
  reload: () => Promise<void>;
  /** Runs one build; defaults to a child process running `build`. */
  build?: (config: Config) => Promise<{ code: number | null; stderr: string }>;
  debounceMs?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

export function createReindexer(options: ReindexerOptions): Reindexer {
  const build = options.build ?? runBuildProcess;
  const log = options.log ?? (() => undefined);
  const state: ReindexStatus = { running: false, queued: false, lastStartedAt: null, lastFinishedAt: null, lastError: null };
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (!state.running && !state.queued && !timer) {
      for (const w of waiters) w();
      waiters = [];
    }
  };

  const runOnce = async () => {
    state.running = true;
    state.queued = false;
    state.lastStartedAt = new Date().toISOString();
    log('reindex.start');
    try {
      const { code, stderr } = await build(options.config);
      if (code !== 0) throw new Error(stderr.trim().split('\n').pop() || `build exited with ${code}`);
      await options.reload();
      state.lastError = null;
      log('reindex.done');
    } catch (err) {
      state.lastError = { message: (err as Error).message, at: new Date().toISOString() };
      log('reindex.failed', { message: (err as Error).message });
    } finally {
      state.running = false;
      state.lastFinishedAt = new Date().toISOString();
      if (state.queued) current = runOnce();
      else settle();
    }
  };

  const start = () => {
    timer = null;
    if (state.running) state.queued = true;
    else current = runOnce();
  };

  return {
    request(reason) {
      log('reindex.requested', { reason });
      if (timer) clearTimeout(timer);
      timer = setTimeout(start, options.debounceMs ?? 0);
    },
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      });
    },
    status: () => ({ ...state, queued: state.queued || timer !== null }),
    async close() {
      if (timer) clearTimeout(timer);
      timer = null;
      await current;
    },
  };
}

/** Watches the corpus folder and asks for a rebuild after each burst of edits to documents. */
export function watchCorpus(corpusDir: string, reindexer: Reindexer): FSWatcher {
  const watcher = watch(corpusDir, {
    ignoreInitial: true,
    ignored: (file, stats) => Boolean(stats?.isFile() && !CORPUS_EXTENSIONS.includes(path.extname(file).toLowerCase())),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
  });
  watcher.on('all', (event, file) => reindexer.request(`${event} ${path.relative(corpusDir, file)}`));
  return watcher;
}
