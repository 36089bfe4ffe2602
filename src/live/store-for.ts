// The configured index store: the files store under INDEX_DIR, the default.
import type { Config } from '../config.js';
import { createFilesStore } from '../index/files/files-store.js';
import type { IndexStore, ReaderOptions } from '../index/store.js';
import type { QueryEmbedder } from '../model/embedder.js';
import { searchSettings } from '../config.js';

/** The store the config names. */
export function storeFor(config: Config): IndexStore {
  return createFilesStore(config.INDEX_DIR);
}

/** How a reader is opened for this config and embedder. */
export function readerOptions(config: Config, embedder: QueryEmbedder, depth?: number): ReaderOptions {
  return { expect: embedder, efSearch: Math.max(config.HNSW_EF_SEARCH, depth ?? 0), bm25: searchSettings(config).bm25 };
}
