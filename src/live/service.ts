// The running service's state: the embedder and the index it answers from, loaded once and reloadable.
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { embedderOptions, searchSettings, type Config } from '../config.js';
import { documentOf } from '../ingest/corpus.js';
import type { QueryEmbedder } from '../model/embedder.js';
import { createEmbedder } from '../model/transformers-embedder.js';
import { AppError } from '../errors.js';
import type { IndexStore } from '../index/store.js';
import { createSearchEngine, type SearchEngine } from '../search/engine.js';
import { readerOptions, storeFor } from './store-for.js';

export interface Service {
  embedder: QueryEmbedder;
  /** The engine in use; throws the reason there is none (INDEX_NOT_READY, INDEX_INVALID, INDEX_MODEL_MISMATCH). */
  engine(): SearchEngine;
  /**
   * Loads the current index build, unless it is the one already serving; on failure the previous engine (if any) keeps
   * serving, and the error is kept.
   */
  reload(): Promise<void>;
  health(): Record<string, unknown>;
  /** An indexed document's current text, and whether it changed since it was indexed; null if not indexed. */
  readDocument(source: string): Promise<{ text: string; changed: boolean } | null>;
  close(): Promise<void>;
}

/** Creates the embedder (unless one is given) and loads the index named by the config. Throws only if the model cannot be loaded. */
export async function createService(config: Config, embedder?: QueryEmbedder, store: IndexStore = storeFor(config)): Promise<Service> {
  const model = embedder ?? (await createEmbedder(embedderOptions(config)));
  let current: SearchEngine | null = null;
  let lastError: AppError | null = null;

  const service: Service = {
    embedder: model,
    engine() {
      if (current) return current;
      throw lastError ?? new AppError('INDEX_NOT_READY', store.where);
    },
    async reload() {
      try {
        const name = await store.currentName();
        if (current && name === current.reader.name) return;
        const reader = await store.open(readerOptions(config, model));
        current = createSearchEngine(reader, model, searchSettings(config));
        lastError = null;
      } catch (err) {
        lastError = err instanceof AppError ? err : new AppError('INDEX_INVALID', store.where, (err as Error).message);
        throw lastError;
      }
    },
    health() {
      const m = current?.reader.manifest;
      return {
        model: model.modelId,
        index: m
          ? { build: current!.reader.name, corpusHash: m.corpusHash, builtAt: m.builtAt, passages: m.passages, documents: m.documents.length }
          : null,
        ...(lastError ? { lastError: { code: lastError.code, message: lastError.message } } : {}),
      };
    },
    async readDocument(source) {
      const doc = current?.reader.manifest.documents.find((d) => d.source === source);
      if (!doc) return null;
      const root = await realpath(path.resolve(config.CORPUS_DIR)).catch(() => null);
      const file = root && (await realpath(path.resolve(root, source)).catch(() => null));
      if (!root || !file || !file.startsWith(root + path.sep)) return null;
      const text = await readFile(file, 'utf8').then((t) => t.replace(/\r\n?/g, '\n'), () => null);
      if (text === null) return null;
      return { text, changed: documentOf(source, text).sha256 !== doc.sha256 };
    },
    async close() {
      await model.dispose();
      await store.close();
    },
  };
  await service.reload().catch(() => undefined);
  return service;
}
