// A server's changes made in a worker thread of their own (change-worker.ts): the worker is started on the first
// change and kept, with its model loaded once; a worker that dies fails the changes it held, and the next change
// starts another. The worker runs the compiled change-worker.js, or change-worker.ts through tsx from source.
import type { Worker } from 'node:worker_threads';
import { startWorkerOf } from '../ingest/worker-source.js';
import type { Config } from '../config.js';
import type { DocumentChange } from '../index/documents.js';
import type { ChangeAnswer, ChangeTask } from './change-worker.js';
import { uncarried, type ChangeRunner, type DocumentsDone, type SyncDone } from './changes.js';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

export function changesInWorker(config: Config): ChangeRunner {
  let worker: Worker | null = null;
  const pending = new Map<number, Pending>();
  let ids = 0;

  const start = (): Worker => {
    const w = startWorkerOf('change-worker', import.meta.url, { workerData: { config }, execArgv: [] });
    w.on('message', (answer: ChangeAnswer) => {
      const waiting = pending.get(answer.id);
      pending.delete(answer.id);
      if (answer.ok) waiting?.resolve(answer.result);
      else waiting?.reject(uncarried(answer.error));
    });
    const fail = (err: Error) => {
      if (worker === w) worker = null;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the change worker stopped (exit code ${code})`)));
    // An idle worker does not keep the process alive.
    w.unref();
    return w;
  };

  const ask = <T>(task: { kind: 'documents'; changes: DocumentChange[] } | { kind: 'sync' } | { kind: 'close' }): Promise<T> => {
    worker ??= start();
    const id = ++ids;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker!.ref(); // a change under way keeps the process alive until it is answered
      worker!.postMessage({ ...task, id } as ChangeTask);
    }).finally(() => {
      if (!pending.size) worker?.unref();
    });
  };

  return {
    documents: (changes) => ask<DocumentsDone>({ kind: 'documents', changes }),
    sync: () => ask<SyncDone>({ kind: 'sync' }),
    async close() {
      const w = worker;
      if (!w) return;
      await ask({ kind: 'close' }).catch(() => undefined);
      worker = null;
      await w.terminate();
    },
  };
}
