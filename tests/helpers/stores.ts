// Both index stores for the same tests: the files store in a temporary folder, and the Postgres store on a real
// PostgreSQL with pgvector (PGlite, served over the wire protocol on loopback and reached through the pg driver, as
// production reaches its database).
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import type { IndexStore } from '../../src/index/store.js';
import { startDevDatabase, type DevDatabase } from '../../scripts/db-dev.js';

export { startDatabaseProcess } from '../../scripts/processes.js';
import { removeDir, tempDir } from './real.js';

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Drops everything the project made in the database, so the next test starts from an empty one. */
export async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ps\\_%'`);
    for (const r of rows) await client.query(`DROP SCHEMA ${r.nspname} CASCADE`);
    await client.query('DROP TABLE IF EXISTS ps_current, ps_lock, ps_servers, ps_builds, ps_schema CASCADE');
  } finally {
    await client.end();
  }
}

export type StoreKind = 'files' | 'postgres';

/**
 * For the calling describe: a development database for its lifetime, and `fresh(kind)`, an empty store of either
 * kind (a new folder, or the database emptied). Stores it made are closed and folders removed afterwards.
 */
export function useStores(): { fresh: (kind: StoreKind) => Promise<IndexStore>; url: () => string } {
  let database: DevDatabase;
  const roots: string[] = [];
  const open: IndexStore[] = [];
  beforeAll(async () => {
    database = await startDevDatabase({ port: await freePort() });
  });
  afterAll(async () => {
    for (const store of open) await store.close().catch(() => undefined);
    await database?.stop();
    await Promise.all(roots.map(removeDir));
  });
  return {
    url: () => database.url,
    async fresh(kind) {
      if (kind === 'postgres') {
        await emptyDatabase(database.url);
        const store = createPostgresStore(database.url);
        open.push(store);
        return store;
      }
      const root = await tempDir();
      roots.push(root);
      return createFilesStore(path.join(root, 'index'));
    },
  };
}
