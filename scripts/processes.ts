// The benchmarks run the project's commands as a user would, each in its own process (started by src/live/processes).
import { exited, startCommand, waitForLog } from '../src/live/processes.js';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';

export { ROOT } from '../src/live/processes.js';

export interface TimedBuild {
  seconds: number;
  output: string;
  /** Peak resident set size of the build process, as it reports it. */
  peakRssMb: number;
}

/** Runs the `build` command in its own process and times it from spawn to exit. */
export async function timedBuild(env: NodeJS.ProcessEnv): Promise<TimedBuild> {
  const started = performance.now();
  const child = startCommand(['build'], { env, stdout: true });
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
export async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; loadedS: number }> {
  const started = performance.now();
  const child = startCommand(['serve'], { env: { ...env, LOG_LEVEL: 'info' } });
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
