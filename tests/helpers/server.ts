// Starts the real CLI in its own process: `build` to completion, or `serve` until it prints its address.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export async function runBuild(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'build'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`build exited with ${code}: ${output}`);
  return output;
}

export async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (d) => {
      log += d;
      const m = log.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`server exited with ${c}: ${log}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    return code as number | null;
  };
  return { child, base, stop };
}
