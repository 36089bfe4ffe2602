// The configured index store: Postgres when DATABASE_URL is set, else the files store under INDEX_DIR (the default).
import type { Config } from '../config.js';
import { createFilesStore, type FilesStoreOptions } from '../index/files/files-store.js';
import { createPostgresStore } from '../index/postgres/pg-store.js';
import type { IndexStore, ReaderOptions } from '../index/store.js';
import type { QueryEmbedder } from '../model/embedder.js';

/** The store the config names: Postgres when DATABASE_URL is set, the files under INDEX_DIR otherwise. */
export function storeFor(config: Config, onError?: (err: Error) => void, options: FilesStoreOptions = {}): IndexStore {
  return config.DATABASE_URL
    ? createPostgresStore(config.DATABASE_URL, { onError, poolSize: config.DATABASE_POOL_SIZE })
    : createFilesStore(config.INDEX_DIR, options);
}

/** How a reader is opened for this config and embedder (or the embedder still loading). */
export function readerOptions(config: Config, embedder: QueryEmbedder | Promise<QueryEmbedder>, depth?: number): ReaderOptions {
  return { expect: embedder, efSearch: Math.max(config.HNSW_EF_SEARCH, depth ?? 0) };
}
