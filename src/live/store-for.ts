// The configured index store: Postgres when DATABASE_URL is set, else the files store under INDEX_DIR (the default).
import { searchBreadth, storeSettings, type Config } from '../config.js';
import { createFilesStore, type FilesStoreOptions } from '../index/files/files-store.js';
import { createPostgresStore } from '../index/postgres/pg-store.js';
import type { IndexStore, ReaderOptions } from '../index/store.js';
import type { QueryEmbedder } from '../model/embedder.js';

/** The store the config names: Postgres when DATABASE_URL is set, the files under INDEX_DIR otherwise. */
export function storeFor(config: Config, onError?: (err: Error) => void, options: FilesStoreOptions = {}): IndexStore {
  const where = storeSettings(config);
  return 'database' in where
    ? createPostgresStore(where.database.url, { onError, poolSize: where.database.poolSize })
    : createFilesStore(where.folder, options);
}

/** How a reader is opened for this config and embedder (or the embedder still loading). */
export function readerOptions(config: Config, embedder: QueryEmbedder | Promise<QueryEmbedder>, depth?: number): ReaderOptions {
  return { expect: embedder, efSearch: searchBreadth(config, depth) };
}
