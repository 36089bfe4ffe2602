// The worker thread that makes a server's changes (changes-worker.ts starts it): its own store and, once a change has
// text to embed, its own model, so that its steps never wait behind the server's searches. Nothing runs here but on
// the server's messages.
import { parentPort, workerData } from 'node:worker_threads';
import { embedderOptions, type Config } from '../config.js';
import type { DocumentChange } from '../index/documents.js';
import { keepReaderPool } from '../ingest/reader-pool.js';
import type { Embedder } from '../model/embedder.js';
import { carried, changesInProcess, type CarriedError, type DocumentsDone, type SyncDone } from './changes.js';
import { storeFor } from './store-for.js';

/** A change asked of the worker: documents (their bytes copied over), or a sync of the folder; or the end. */
export type ChangeTask = { id: number; kind: 'documents'; changes: DocumentChange[] } | { id: number; kind: 'sync' } | { id: number; kind: 'close' };

/** A change's outcome, as the worker answers it. */
export type ChangeAnswer = { id: number; ok: true; result: DocumentsDone | SyncDone | null } | { id: number; ok: false; error: CarriedError };

const config = (workerData as { config: Config }).config;
// One pool of reader workers for all the changes this thread makes: none pays for starting one.
keepReaderPool();
const store = storeFor(config);
let model: Promise<Embedder> | null = null;
const embedder = () => (model ??= import('../model/transformers-embedder.js').then((m) => m.createEmbedder(embedderOptions(config))));
const runner = changesInProcess(config, store, embedder);

/** Buffers arrive as plain byte arrays: made Buffers again, the same memory. */
const asBuffer = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined);

async function run(task: ChangeTask): Promise<DocumentsDone | SyncDone | null> {
  if (task.kind === 'documents') return runner.documents(task.changes.map((c) => ({ ...c, bytes: asBuffer(c.bytes) })));
  if (task.kind === 'sync') return runner.sync();
  await store.close();
  await (await model)?.dispose();
  return null;
}

parentPort?.on('message', (task: ChangeTask) => {
  void run(task).then(
    (result) => parentPort!.postMessage({ id: task.id, ok: true, result } satisfies ChangeAnswer),
    (err: unknown) => parentPort!.postMessage({ id: task.id, ok: false, error: carried(err) } satisfies ChangeAnswer),
  );
});
