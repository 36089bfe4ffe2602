// Starts the real CLI in its own process: `build` to completion, or `serve` until it prints its address.
import type { ChildProcess } from 'node:child_process';
import { exited, startCommand, stopProcess, waitForLog } from '../../src/live/processes.js';

export async function runBuild(env: NodeJS.ProcessEnv): Promise<string> {
  const child = startCommand(['build'], { env: { ...process.env, ...env }, stdout: true });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const code = await exited(child);
  if (code !== 0) throw new Error(`build exited with ${code}: ${output}`);
  return output;
}

export async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; stop: () => Promise<number | null> }> {
  const child = startCommand(['serve'], { env: { ...process.env, PORT: '0', ...env } });
  const [, base] = await waitForLog(child, /"url":"(http:\/\/[^"]+)"/);
  const stop = async () => {
    await stopProcess(child, 10_000);
    return child.exitCode;
  };
  return { child, base, stop };
}
