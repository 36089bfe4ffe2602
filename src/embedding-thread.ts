// Query embedding on a worker thread, for the server: the model's runs (synchronous in onnxruntime-node) and the
// tokenizing happen on the worker, so the main thread keeps answering HTTP and searching while they do. Queries that
// reach the worker together are embedded in one model call.
import { Worker } from 'node:worker_threads';
import { AppError, ERRORS, type ErrorCode } from './errors.js';
import type { EmbedderOptions, QueryEmbedder } from './embedding.js';

/** What the worker answers: its model's identity once ready, then vectors (or an error) for each request id. */
export type WorkerReply =
  | { type: 'ready'; modelId: string; fingerprint: string; dimension: number }
  | { type: 'failed'; error: { name: string; message: string; code?: string } }
  | { type: 'vectors'; id: number; data: Float32Array; dimension: number }
  | { type: 'error'; id: number; error: { name: string; message: string } };

/** The worker's load failure as the main thread would have thrown it: an AppError keeps its code. */
function rebuilt(error: { name: string; message: string; code?: string }): Error {
  if (!error.code || !(error.code in ERRORS)) return Object.assign(new Error(error.message), { name: error.name });
  return Object.assign(new AppError(error.code as ErrorCode), { message: error.message });
}

export async function createThreadedEmbedder(options: EmbedderOptions): Promise<QueryEmbedder> {
  // A worker's entry cannot be TypeScript itself: a one-line script registers tsx's loader, then imports it.
  const entry = new URL('./embedding-worker.ts', import.meta.url).href;
  const loader = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(`import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, {
    eval: true,
    // One thread for the model: the other core is the main thread's, searching while the worker embeds.
    workerData: { ...options, threads: 1 },
  });
  const pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: unknown) => void }>();
  let next = 0;
  let exited: Error | null = null;

  const ready = await new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    const settle = (fn: () => void) => {
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      fn();
    };
    const onError = (err: Error) => settle(() => reject(err));
    const onExit = (code: number) => settle(() => reject(new Error(`the embedding worker exited with ${code} before it was ready`)));
    const onMessage = (reply: WorkerReply) => {
      if (reply.type === 'ready') settle(() => resolve(reply));
      else if (reply.type === 'failed') settle(() => reject(rebuilt(reply.error)));
    };
    worker.on('error', onError).on('exit', onExit).on('message', onMessage);
  });
  worker.on('message', (reply: WorkerReply) => {
    if (reply.type !== 'vectors' && reply.type !== 'error') return;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiting) return;
    if (reply.type === 'error') {
      waiting.reject(reply.error.name === 'RangeError' ? new RangeError(reply.error.message) : new Error(reply.error.message));
      return;
    }
    const rows = reply.data.length / reply.dimension;
    waiting.resolve(Array.from({ length: rows }, (_, r) => reply.data.subarray(r * reply.dimension, (r + 1) * reply.dimension)));
  });
  const fail = (err: Error) => {
    exited = err;
    for (const w of pending.values()) w.reject(err);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the embedding worker exited with ${code}`)));

  return {
    modelId: ready.modelId,
    fingerprint: ready.fingerprint,
    dimension: ready.dimension,
    embedQueries(texts) {
      if (exited) return Promise.reject(exited);
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, texts });
      });
    },
    async dispose() {
      worker.postMessage({ close: true });
      await new Promise((r) => worker.once('exit', r));
    },
  };
}
