// A reader worker: reads the files the pool (reader-pool.ts) sends it, one at a time, under the heap cap the pool
// started it with; the pool ends it when a file passes its time. Nothing runs here but on the pool's messages.
import { parentPort } from 'node:worker_threads';
import type { DocumentFormat } from './document.js';
import type { ReadLimits } from './limits.js';
import { readDocument, type Extraction } from './reader.js';

/** A file to read: its bytes (transferred, not copied), its format and the readers' limits. */
export interface ReadTask {
  id: number;
  bytes: Uint8Array;
  format: DocumentFormat;
  limits: ReadLimits;
}

/** A file read. */
export interface ReadDone {
  id: number;
  result: Extraction;
}

parentPort?.on('message', (task: ReadTask) => {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  void readDocument(bytes, task.format, task.limits).then((result) => parentPort!.postMessage({ id: task.id, result } satisfies ReadDone));
});
