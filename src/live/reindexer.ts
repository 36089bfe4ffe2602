// Rebuilds in the background for a running server: one build at a time in a child process, bursts of requests
// (file events, admin calls) folded into one follow-up build, the result swapped in only once it loads. A build that
// runs past its limit is stopped and reported; close() stops the running build and starts no queued one, so no
// build outlives the server.
import { CONFIG_VARIABLE, type Config } from '../config.js';
import { startCommand, stopProcess, tail } from './processes.js';

export interface ReindexStatus {
  running: boolean;
  /** The running build's process id, so an operator can tell it apart; null when none runs. */
  pid: number | null;
  /** A rebuild was asked for while one was running; it starts when that one ends. */
  queued: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  /** The last failure: the build's last line of error output, and its catalogue code when it named one. */
  lastError: { message: string; code?: string; at: string } | null;
}

export interface Reindexer {
  /** Asks for a rebuild; returns at once. Ignored once closed. */
  request(reason: string): void;
  /** Resolves when no build is running or queued. */
  idle(): Promise<void>;
  status(): ReindexStatus;
  /** Stops the running build (its process is gone when this resolves) and drops any queued one. */
  close(): Promise<void>;
}

/** The outcome line of `build --json`: what the reindexer reads from its child, as data. */
export type BuildOutcome =
  | { ok: true; index: string; upToDate: boolean; documents: number; passages: number; embedded: number; skipped: number }
  | { ok: false; error: { code: string; message: string } };

/** How a build run ended: its outcome line when it printed one, else why there is none (a crash, a signal). */
export type BuildEnd = { outcome: BuildOutcome } | { outcome?: undefined; code: number | null; message: string };

/** One build run: its pid while it runs, and its end. */
export interface BuildRun {
  pid: number | null;
  done: Promise<BuildEnd>;
  /** Stops the build; resolves once it has ended. */
  stop(): Promise<void>;
}

/** The outcome line of `build --json` at the end of its standard output, if it printed one. */
export function outcomeOf(stdout: string): BuildOutcome | undefined {
  const last = stdout.trimEnd().split('\n').pop();
  if (!last?.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(last) as BuildOutcome;
    return typeof parsed.ok === 'boolean' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `build --json` in a child process (one process: the pid that holds the build lock is the one that is stopped),
 * handing it this server's whole configuration as one value, so it builds exactly what this process serves.
 */
export function runBuildProcess(config: Config): BuildRun {
  const child = startCommand(['build', '--json'], { env: { ...process.env, [CONFIG_VARIABLE]: JSON.stringify(config) }, stdout: true });
  const stdout = tail(child.stdout);
  const stderr = tail(child.stderr);
  const done = new Promise<BuildEnd>((resolve) => {
    child.once('error', (err) => resolve({ code: null, message: err.message }));
    child.once('exit', (code, signal) => {
      const outcome = outcomeOf(stdout());
      if (outcome) resolve({ outcome });
      else
        resolve({
          code,
          message: signal ? `the build was stopped by ${signal}` : stderr().trim().split('\n').pop() || `the build exited with ${code} and no outcome`,
        });
    });
  });
  return { pid: child.pid ?? null, done, stop: () => stopProcess(child) };
}

export interface ReindexerOptions {
  config: Config;
  /** Loads the new build into the serving engine; throws if it is not usable (the old one keeps serving). */
  reload: () => Promise<void>;
  /** Starts one build; defaults to a child process running `build`. */
  build?: (config: Config) => BuildRun;
  debounceMs?: number;
  /** Longest a build may run before it is stopped and reported as failed; 0 for no limit. */
  timeoutMs?: number;
  /** How long after a build refused with BUILD_IN_PROGRESS it is tried again. */
  retryMs?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/** The build's end, or, past `limitMs` (0: none), its stop and an error saying so. */
async function finish(run: BuildRun, limitMs: number): Promise<BuildEnd> {
  if (!limitMs) return run.done;
  let timeout: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timeout = setTimeout(() => resolve('late'), limitMs)));
  const outcome = await Promise.race([run.done, late]);
  clearTimeout(timeout);
  if (outcome !== 'late') return outcome;
  await run.stop();
  throw new Error(`the build ran past its limit of ${limitMs} ms and was stopped`);
}

export function createReindexer(options: ReindexerOptions): Reindexer {
  const build = options.build ?? runBuildProcess;
  const log = options.log ?? (() => undefined);
  const state: ReindexStatus = { running: false, pid: null, queued: false, lastStartedAt: null, lastFinishedAt: null, lastError: null };
  let timer: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let run: BuildRun | null = null;
  let current: Promise<void> = Promise.resolve();
  let closed = false;
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (!state.running && !state.queued && !timer) {
      for (const w of waiters) w();
      waiters = [];
    }
  };

  const runOnce = async () => {
    Object.assign(state, { running: true, queued: false, lastStartedAt: new Date().toISOString() });
    log('reindex.start');
    try {
      run = build(options.config);
      state.pid = run.pid;
      const end = await finish(run, options.timeoutMs ?? 0);
      if (closed) return;
      const failure = end.outcome ? (end.outcome.ok ? undefined : end.outcome.error) : { message: end.message };
      if (failure && 'code' in failure && failure.code === 'BUILD_IN_PROGRESS') {
        // Another build holds the folder: this one is asked for again, to start once the lock frees.
        log('reindex.deferred', { reason: 'another build is running' });
        retry = setTimeout(() => ((timer = null), (retry = null), start()), options.retryMs ?? 2000);
        timer = retry;
      }
      if (failure) throw Object.assign(new Error(failure.message), 'code' in failure ? { code: failure.code } : {});
      await options.reload();
      state.lastError = null;
      log('reindex.done');
    } catch (err) {
      const failure = (err as { code?: string }).code;
      state.lastError = { message: (err as Error).message, ...(failure ? { code: failure } : {}), at: new Date().toISOString() };
      log('reindex.failed', { message: (err as Error).message });
    } finally {
      run = null;
      Object.assign(state, { running: false, pid: null, lastFinishedAt: new Date().toISOString() });
      if (state.queued && !closed) current = runOnce();
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
      if (closed) return;
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
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      state.queued = false;
      await run?.stop();
      await current;
    },
  };
}
