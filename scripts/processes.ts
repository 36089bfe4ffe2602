// The benchmarks run the project's commands as a user would, each in its own process (started by src/live/processes).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { exited, startCommand, stopProcess, waitForLog } from '../src/live/processes.js';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';

import { ROOT } from '../src/live/processes.js';

export { ROOT };

export interface TimedBuild {
  seconds: number;
  output: string;
  /** Peak resident set size of the build process, as it reports it. */
  peakRssMb: number;
}

/** Runs the `build` command in its own process (the compiled CLI when asked) and times it from spawn to exit. */
export async function timedBuild(env: NodeJS.ProcessEnv, compiled = false): Promise<TimedBuild> {
  const started = performance.now();
  const child = startCommand(['build'], { env, stdout: true, compiled });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await exited(child);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`build exited with ${code}: ${output.slice(-2000)}`);
  const rss = output.match(/peak RSS (\d+) MB/);
  return { seconds, output, peakRssMb: rss ? Number(rss[1]) : NaN };
}

/** Starts `serve` (the env should give PORT 0 and HOST 127.0.0.1) and resolves with its address once it listens. */
export async function startServer(env: NodeJS.ProcessEnv, compiled = false): Promise<{ child: ChildProcess; base: string; loadedS: number }> {
  const started = performance.now();
  const child = startCommand(['serve'], { env: { ...env, LOG_LEVEL: 'info' }, compiled });
  const [, base] = await waitForLog(child, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
  return { child, base, loadedS: (performance.now() - started) / 1000 };
}

/** Runs `command` when the module at `moduleUrl` is the script node was started with; errors print their code. */
export function runIfMain(moduleUrl: string, command: Command): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  command.parseAsync().catch((err) => {
    process.stderr.write(`error ${(err as { code?: string }).code ?? 'INTERNAL'}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

/** `npm run db:dev` in its own process, its data kept in `dataDir`; stopped (SIGTERM) by `stop`. */
export async function startDatabaseProcess(port: number, dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'db-dev.ts'), '--port', String(port), '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/DATABASE_URL=(\S+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`db:dev exited with ${code}: ${out}`)));
  });
  child.stderr!.resume();
  return { url, stop: () => stopProcess(child, 10_000) };
}

/** Bytes of every file below `dir`: an index's size on disk. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(full) : (await stat(full)).size;
  }
  return total;
}

/** Runs one statement on a connection of its own. */
async function runStatement(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A database of its own on the real PostgreSQL at `adminUrl`, with pgvector; dropped by `stop`. */
export async function freshDatabase(adminUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const name = `ps_fresh_${randomBytes(5).toString('hex')}`;
  const admin = (text: string, url = adminUrl) => runStatement(url, text);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await admin('CREATE EXTENSION IF NOT EXISTS vector', url.toString());
  return { url: url.toString(), stop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A new, empty schema on `url`, first on the search path of the URL returned (pgvector's type stays reachable in
 * public), with `settings` (`-c name=value`) for its connections; dropped, with a Citus cluster's shards, by `drop`.
 */
export async function freshSchema(url: string, settings = ''): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ps_fresh_${randomBytes(5).toString('hex')}`;
  const run = (text: string) => runStatement(url, text);
  await run(`CREATE SCHEMA ${name}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name},public ${settings}`.trim());
  return { url: u.toString(), drop: () => run(`DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}
