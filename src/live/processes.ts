// The one way the project starts its own commands as child processes (the reindexer's builds, the benchmarks, the
// tests): the compiled CLI when this code runs compiled, the TypeScript CLI through tsx when it runs from source.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The project folder: the nearest folder above this module that holds a package.json. */
export const ROOT = (() => {
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${here}`);
  }
})();

/** The newest modification time of a file below `dir`, in ms; 0 when there is none. */
function newestBelow(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestBelow(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Whether the compiled CLI (dist/) is older than the source it was compiled from (src/, in a checkout): an edit since
 * the last `npm run compile` that the commands would not run. False where there is no source (an installed package).
 */
export function distIsStale(): boolean {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const src = path.join(ROOT, 'src');
  if (!existsSync(src)) return false;
  if (!existsSync(cli)) return true;
  return newestBelow(src) > statSync(cli).mtimeMs;
}

/** node's arguments that run the CLI: dist/cli.js when compiled, src/cli.ts through tsx otherwise. */
export function cliArguments(compiled = import.meta.url.endsWith('.js')): string[] {
  return compiled ? [path.join(ROOT, 'dist', 'cli.js')] : ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts')];
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  /** Run the compiled CLI (dist/, made by `npm run compile`) whatever this code runs as. */
  compiled?: boolean;
  /** Keep standard output (readable as child.stdout); ignored otherwise. */
  stdout?: boolean;
  /** The working folder; the project folder by default. */
  cwd?: string;
}

/**
 * Starts `passage-search <args>` as one node process (so the pid that holds a build lock is the one that can be
 * stopped), with stderr piped for logs. The environment is the given one, or this process's.
 */
export function startCommand(args: string[], options: CommandOptions = {}): ChildProcess {
  return spawn(process.execPath, [...cliArguments(options.compiled || undefined), ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
}

/** Resolves when the child has exited (at once if it already has), with its exit code. */
export async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

/**
 * Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves once it has exited, so no
 * process outlives the call.
 */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await done;
  } finally {
    clearTimeout(timer);
  }
}

/** Collects the last `limit` characters a stream writes. */
export function tail(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let text = '';
  stream?.on('data', (d) => (text = (text + d).slice(-limit)));
  return () => text;
}

/** Waits until a line of the child's stderr matches `pattern`; resolves with the match. Rejects if it exits first. */
export function waitForLog(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += d;
      const m = log.match(pattern);
      if (m) {
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        // The rest is drained, so the pipe never fills and blocks the child.
        child.stderr!.resume();
        resolve(m);
      }
    };
    const onExit = (c: number | null) => reject(new Error(`the process exited with ${c} before logging ${pattern}: ${log.slice(-1500)}`));
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}
