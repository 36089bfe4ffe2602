// Starts the real CLI in its own process: `build` to completion, or `serve` until it prints its address; compiled, from
// dist/ as the npm commands run it (the tests' global setup compiles it once, when it is older than src/), or from
// the TypeScript sources when `compiled` is false.
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { distIsStale, exited, startCommand, stopProcess, waitForLog } from '../../src/live/processes.js';

export async function runBuild(env: NodeJS.ProcessEnv, compiled = true): Promise<string> {
  const child = startCommand(['build'], { env: { ...process.env, ...env }, stdout: true, compiled });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await exited(child);
  if (code !== 0) throw new Error(`build exited with ${code}: ${output}`);
  return output;
}

export async function startServer(
  env: NodeJS.ProcessEnv,
  compiled = true,
  cwd?: string,
): Promise<{ child: ChildProcess; base: string; stop: () => Promise<number | null> }> {
  const child = startCommand(['serve'], { env: { ...process.env, PORT: '0', ...env }, compiled, cwd });
  const [, base] = await waitForLog(child, /"url":"(http:\/\/[^"]+)"/);
  const stop = async () => {
    await stopProcess(child, 10_000);
    return child.exitCode;
  };
  return { child, base, stop };
}

/**
 * Compiles src/ to dist/ (`npm run compile`) when dist/ is older than src/, so a test runs the code the npm commands
 * run; `npm test` compiles once before any test starts, so no worker rewrites dist/ while another runs it.
 */
export function compile(): void {
  if (!distIsStale()) return;
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}

/** Polls `probe` until it gives a value (or `ms` pass, which throws naming `what`). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The processes whose parent is `pid`, from /proc (the fields after the command's closing parenthesis: state, parent). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
