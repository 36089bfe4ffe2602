// Files read in worker threads, a few at a time: each worker has a heap cap (V8's resourceLimits), each file a
// deadline, and a worker that passes either is ended and replaced, its file skipped (`too-large`, `timeout`) while the
// other files are read. A reader's stack overflow or crash ends only its worker. The workers run the compiled
// reader-worker.js, or reader-worker.ts through tsx when this module runs from source (tests, tsx).
import type { Worker } from 'node:worker_threads';
import type { DocumentFormat } from './document.js';
import { DEFAULT_LIMITS, deadlineFor, type ExtractLimits } from './limits.js';
import type { Extraction } from './reader.js';
import type { ReadDone, ReadTask } from './reader-worker.js';
import { startWorkerOf } from './worker-source.js';

/** Reads files in the pool's workers; `close` ends them. */
export interface ReaderPool {
  /** The file's text, or why it has none; never throws. The bytes are given away to the worker (copied first). */
  read(bytes: Uint8Array, format: DocumentFormat): Promise<Extraction>;
  /** Ends every worker; files still waiting or being read are skipped as stopped. */
  close(): Promise<void>;
  /**
   * One reading's view of a pool others use too: its `close` stops that reading's files (waiting: skipped; being
   * read: abandoned, their workers ended and started anew as needed) and leaves the pool serving the rest.
   */
  session(): ReaderPool;
}

interface Job {
  id: number;
  bytes: Uint8Array;
  format: DocumentFormat;
  done: (result: Extraction) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer?: NodeJS.Timeout;
}

function startWorker(heapMb: number): Worker {
  const worker = startWorkerOf('reader-worker', import.meta.url, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: heapMb } });
  // An idle worker does not keep the process alive; a file being read does, by its deadline's timer.
  worker.unref();
  return worker;
}

/** Why a worker that stopped on its own stopped, as its file's skip. */
function failure(err: Error & { code?: string }, limits: ExtractLimits): Extraction {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return { skipped: `too large (reading it needed more than ${limits.heapMb} MB of memory)`, code: 'too-large' };
  return { skipped: `unreadable (the reader stopped: ${err.message})`, code: 'unreadable' };
}

/** What a file stopped before it was read gives. */
const STOPPED: Extraction = { skipped: 'unreadable (reading stopped)', code: 'unreadable' };

/** A pool of up to `limits.workers` reader workers, started as files come. */
export function createReaderPool(limits: ExtractLimits = DEFAULT_LIMITS): ReaderPool {
  const { maxInflatedBytes, maxPages, maxNesting } = limits;
  const slots: Slot[] = [];
  const waiting: Job[] = [];
  let ids = 0;
  let closed = false;

  const finish = (slot: Slot, result: Extraction, end: boolean) => {
    const job = slot.job;
    clearTimeout(slot.timer);
    slot.job = null;
    if (end) {
      slots.splice(slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }
    job?.done(result);
    pump();
  };

  const start = (): Slot => {
    const slot: Slot = { worker: startWorker(limits.heapMb), job: null };
    slot.worker.on('message', (m: ReadDone) => slot.job?.id === m.id && finish(slot, m.result, false));
    slot.worker.on('error', (err) => slots.includes(slot) && finish(slot, failure(err, limits), true));
    slot.worker.on('exit', (code) => slots.includes(slot) && finish(slot, failure(new Error(`exit code ${code}`), limits), true));
    slots.push(slot);
    return slot;
  };

  const assign = (slot: Slot, job: Job) => {
    slot.job = job;
    const ms = deadlineFor(limits, job.bytes.byteLength);
    const reason = `timeout (reading it took longer than ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s, the limit for its size)`;
    slot.timer = setTimeout(() => finish(slot, { skipped: reason, code: 'timeout' }, true), ms);
    const task: ReadTask = { id: job.id, bytes: job.bytes, format: job.format, limits: { maxInflatedBytes, maxPages, maxNesting } };
    slot.worker.postMessage(task, [job.bytes.buffer as ArrayBuffer]);
  };

  function pump(): void {
    while (waiting.length && !closed) {
      const slot = slots.find((s) => !s.job) ?? (slots.length < limits.workers ? start() : null);
      if (!slot) return;
      assign(slot, waiting.shift()!);
    }
  }

  /** Queues a file; `mine` (a session's) learns its job's id. */
  const enqueue = (bytes: Uint8Array, format: DocumentFormat, mine?: Set<number>): Promise<Extraction> => {
    if (closed) return Promise.resolve(STOPPED);
    // A copy of its own, so the caller's buffer (or a pool Node's small buffers share) is never detached.
    const own = new Uint8Array(bytes);
    return new Promise((done) => {
      const id = ++ids;
      mine?.add(id);
      waiting.push({ id, bytes: own, format, done: (r) => (mine?.delete(id), done(r)) });
      pump();
    });
  };
  /** Stops the files `match` picks (waiting: skipped; being read: abandoned with their workers); `all`: every worker. */
  const stop = async (match: (id: number) => boolean, all = false) => {
    for (const job of waiting.filter((j) => match(j.id))) waiting.splice(waiting.indexOf(job), 1), job.done(STOPPED);
    const ending = slots.filter((slot) => all || (slot.job && match(slot.job.id)));
    for (const slot of ending) slots.splice(slots.indexOf(slot), 1), clearTimeout(slot.timer), slot.job?.done(STOPPED);
    await Promise.all(ending.map((slot) => slot.worker.terminate()));
    pump();
  };

  return {
    read: (bytes, format) => enqueue(bytes, format),
    session() {
      const mine = new Set<number>();
      return { read: (bytes, format) => enqueue(bytes, format, mine), close: () => stop((id) => mine.has(id)), session: () => this.session() };
    },
    async close() {
      closed = true;
      await stop(() => true, true);
    },
  };
}

let kept: { pool: ReaderPool; limits: ExtractLimits } | null = null;

/** Whether a reading under `limits` may use a pool made under `pool`'s: every limit but the number of workers alike. */
const sameLimits = (pool: ExtractLimits, limits: ExtractLimits) =>
  (Object.keys(limits) as (keyof ExtractLimits)[]).every((k) => k === 'workers' || pool[k] === limits[k]);

/**
 * Keeps one pool for every reading of this thread from now on, its workers started once: for a long-lived thread that
 * reads one change at a time (a server's change worker), where a pool a change would cost each change a worker's start.
 */
export function keepReaderPool(limits: ExtractLimits = DEFAULT_LIMITS): void {
  kept ??= { pool: createReaderPool(limits), limits };
}

/**
 * The pool a reading uses: a session of the kept one (which its thread alone ends) when it reads under the same
 * limits, or a pool of its own.
 */
export function readerPool(limits: ExtractLimits = DEFAULT_LIMITS): ReaderPool {
  return kept && sameLimits(kept.limits, limits) ? kept.pool.session() : createReaderPool(limits);
}
