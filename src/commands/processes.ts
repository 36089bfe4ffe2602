// The project's own commands run as child processes, as a user would run them: for benchmarks and the load test.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface TimedBuild {
  seconds: number;
  output: string;
  /** Peak resident set size of the build process, as it reports it. */
  peakRssMb: number;
}

/** Runs the `build` command in its own process and times it from spawn to exit. */
export function timedBuild(env: NodeJS.ProcessEnv): Promise<TimedBuild> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = cli(['build'], env);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rss = output.match(/peak RSS (\d+) MB/);
      if (code === 0) resolve({ seconds, output, peakRssMb: rss ? Number(rss[1]) : NaN });
      else reject(new Error(`build exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

/** Starts `serve` (the env should give PORT 0 and HOST 127.0.0.1) and resolves with its address once it listens. */
export async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; loadedS: number }> {
  const started = performance.now();
  const child = cli(['serve'], { ...env, LOG_LEVEL: 'info' });
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (d) => {
      log += d;
      const m = log.match(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`server exited with ${c}: ${log.slice(-1000)}`)));
  });
  // Only the address is needed from the log; the rest is drained so the pipe never fills.
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  return { child, base, loadedS: (performance.now() - started) / 1000 };
}
