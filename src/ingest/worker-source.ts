// How the project starts a worker thread of its own code: the compiled module beside the caller, or, from source
// (tests, tsx), a bootstrap that registers tsx's loader in the worker (Node 20 does not carry `--import tsx` into a
// worker) and imports the TypeScript module.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The code of worker module `name` (without extension) beside the module at `from` (its import.meta.url). */
export function workerSource(name: string, from: string): { url: URL } | { code: string } {
  if (from.endsWith('.js')) return { url: new URL(`./${name}.js`, from) };
  const tsx = path.dirname(createRequire(from).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsx, 'dist', 'esm', 'api', 'index.mjs')).href;
  const target = new URL(`./${name}.ts`, from).href;
  return { code: `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(target)}); });` };
}

/** Starts worker module `name` beside `from`, compiled or from source, with `options`. */
export function startWorkerOf(name: string, from: string, options: WorkerOptions = {}): Worker {
  const source = workerSource(name, from);
  return 'url' in source ? new Worker(source.url, options) : new Worker(source.code, { ...options, eval: true });
}
