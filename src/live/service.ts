// The running service's state: the embedder and the index it answers from, loaded once and reloadable.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { embedderOptions, searchSettings, type Config } from '../config.js';
import type { QueryEmbedder } from '../model/embedder.js';
import { createEmbedder } from '../model/transformers-embedder.js';
import { AppError } from '../errors.js';
import type { ExtractedDocument, IndexStore } from '../index/store.js';
import { countByCode } from '../ingest/files.js';
import { createSearchEngine, type SearchEngine } from '../search/engine.js';
import { calibrationOf, carryCalibration } from '../search/search.js';
import { readerOptions, storeFor } from './store-for.js';

export interface Service {
  embedder: QueryEmbedder;
  /** The store the service reads its builds from. */
  store: IndexStore;
  /** The engine in use; throws the reason there is none (INDEX_NOT_READY, INDEX_INVALID, INDEX_MODEL_MISMATCH). */
  engine(): SearchEngine;
  /**
   * Loads the current index build, unless it is the one already serving; on failure the previous engine (if any) keeps
   * serving, and the error is kept.
   */
  reload(): Promise<void>;
  health(): Record<string, unknown>;
  /** An indexed document as the serving build holds it (its extracted text, title, pages); null if not indexed. */
  readDocument(source: string): Promise<ExtractedDocument | null>;
  /**
   * Follows the store's current build: checks every `intervalMs` (and at once when the database announces a change)
   * and loads a new one; reports the build in use to a database store. Stopped by close().
   */
  follow(intervalMs: number, log?: (event: string, fields?: Record<string, unknown>) => void): Promise<void>;
  close(): Promise<void>;
}

/** Service.follow: polls (and listens) for a new current build, loads it, and reports the build in use. */
async function followCurrent(
  service: Service,
  store: IndexStore,
  serverId: string,
  stops: Array<() => unknown>,
  intervalMs: number,
  log: (event: string, fields?: Record<string, unknown>) => void,
): Promise<void> {
  const name = () => (service.health().index as { build: string } | null)?.build ?? null;
  // A failure is logged once, not at every poll, until another failure or a success.
  let lastFailure = '';
  const check = async (why: string) => {
    const before = name();
    await service.reload().then(
      () => (lastFailure = ''),
      (err) => {
        const failure = `${(err as AppError).code}: ${(err as Error).message}`;
        if (failure !== lastFailure) log('index.reload.failed', { why, code: (err as AppError).code, message: (err as Error).message });
        lastFailure = failure;
      },
    );
    if (name() && name() !== before) log('index.loaded', { why, build: name() });
    await store.report?.(serverId, name()).catch(() => undefined);
  };
  if (intervalMs > 0) {
    const timer = setInterval(() => void check('poll'), intervalMs);
    timer.unref();
    stops.push(() => clearInterval(timer));
  }
  if (store.listen) {
    const unlisten = await store
      .listen(() => void check('notify'))
      .catch((err) => {
        log('index.listen.failed', { message: (err as Error).message });
        return null;
      });
    if (unlisten) stops.push(unlisten);
  }
  await check('start');
}

/** What /health says of the service: its model, the version in use, and the last failure to load one. */
function healthOf(model: QueryEmbedder | null, current: SearchEngine | null, lastError: AppError | null): Record<string, unknown> {
  const m = current?.reader.manifest;
  return {
    model: model?.modelId ?? null,
    index: m
      ? {
          build: current!.reader.name,
          corpusHash: m.corpusHash,
          builtAt: m.builtAt,
          passages: m.passages,
          documents: m.documents.length,
          skipped: m.skipped.length,
          skippedByCode: countByCode(m.skipped),
        }
      : null,
    ...(lastError ? { lastError: { code: lastError.code, message: lastError.message } } : {}),
  };
}

/** Creates the embedder (unless one is given) and loads the index named by the config. Throws only if the model cannot be loaded. */
export async function createService(config: Config, embedder?: QueryEmbedder, store: IndexStore = storeFor(config)): Promise<Service> {
  // The model and the index load together: the index is checked against the model once both are there.
  const modelReady = embedder ? Promise.resolve(embedder) : createEmbedder(embedderOptions(config));
  modelReady.catch(() => undefined);
  let model: QueryEmbedder | null = embedder ?? null;
  let current: SearchEngine | null = null;
  let lastError: AppError | null = null;
  let loading: Promise<void> | null = null;
  const stops: Array<() => unknown> = [];
  const serverId = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  /** One load at a time: a reload asked for during another waits for it, then looks again. */
  const load = async () => {
    const name = await store.currentName();
    if (current && name === current.reader.name) return;
    const previous = current;
    // What has not changed since the version in use is lent to the next (the files store's unchanged segments).
    const reader = await store.open(readerOptions(config, model ?? modelReady), previous?.reader);
    model ??= await modelReady;
    const engine = createSearchEngine(reader, model, searchSettings(config));
    if (!previous || !carryCalibration(previous, engine)) {
      const calibration = calibrationOf(engine);
      // A new version is calibrated before it serves, so no search waits for it; the first is calibrated as it starts.
      if (previous) await calibration;
      else calibration.catch(() => undefined);
    }
    current = engine;
  };

  const service: Service = {
    get embedder() {
      return model!;
    },
    store,
    engine() {
      if (current) return current;
      throw lastError ?? new AppError('INDEX_NOT_READY', store.where);
    },
    async reload() {
      while (loading) await loading.catch(() => undefined);
      try {
        await (loading = load());
        lastError = null;
      } catch (err) {
        lastError = err instanceof AppError ? err : new AppError('INDEX_INVALID', store.where, (err as Error).message);
        throw lastError;
      } finally {
        loading = null;
      }
    },
    follow: (intervalMs, log = () => undefined) => followCurrent(service, store, serverId, stops, intervalMs, log),
    health: () => healthOf(model, current, lastError),
    async readDocument(source) {
      return current ? current.reader.document(source) : null;
    },
    async close() {
      for (const stop of stops.splice(0)) await stop();
      await loading?.catch(() => undefined);
      // A model given to the service is its giver's to dispose.
      if (!embedder) await model?.dispose();
      await store.close();
    },
  };
  const first = service.reload().catch(() => undefined);
  try {
    model = await modelReady;
  } catch (err) {
    await first;
    await store.close();
    throw err;
  }
  await first;
  return service;
}
