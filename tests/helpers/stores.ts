// Every index store for the same tests: the files store in a temporary folder; the Postgres store on PGlite (PostgreSQL
// with pgvector in WebAssembly, served over the wire protocol on loopback, the zero-install development database); and
// the Postgres store on a real PostgreSQL with pgvector when TEST_DATABASE_URL names one (.ci/run starts it; see
// ../shared/tools/postgres.sh). Without it, the real-server cases are skipped, and say so loudly.
import { randomBytes } from 'node:crypto';
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

/** The real PostgreSQL the tests may use (a server where this role may create databases), or undefined. */
export const REAL_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

let warned = false;
/** Says once, loudly, that the real-server cases are skipped and how to run them. */
export function warnNoRealDatabase(): void {
  if (REAL_DATABASE_URL || warned) return;
  warned = true;
  process.stderr.write(
    '\n*** TEST_DATABASE_URL is not set: the cases on a real PostgreSQL are SKIPPED. To run them:\n' +
      '***   sudo ../shared/tools/postgres.sh install && sudo ../shared/tools/postgres.sh start /tmp/pg 55432\n' +
      '***   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres npm test\n\n',
  );
}

/** A new, empty database on the real server, with pgvector; dropped by the returned function. */
export async function createRealDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ps_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS vector').finally(() => client.end());
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Drops everything the project made in the database, so the next test starts from an empty one. */
export async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'ps\\_%'`);
    for (const r of rows) await client.query(`DROP TABLE IF EXISTS ${r.tablename} CASCADE`);
    const schemas = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ps\\_build%'`);
    for (const r of schemas.rows) await client.query(`DROP SCHEMA ${r.nspname} CASCADE`);
    await client.query('DROP SEQUENCE IF EXISTS ps_ids');
  } finally {
    await client.end();
  }
}

export type StoreKind = 'files' | 'pglite' | 'postgres';

/** The kinds a describe.each runs on: the real server only when one is given. */
export const STORE_KINDS: StoreKind[] = REAL_DATABASE_URL ? ['files', 'pglite', 'postgres'] : ['files', 'pglite'];

/**
 * For the calling describe: a development database for its lifetime, and `fresh(kind)`, an empty store of any kind
 * (a new folder; the development database emptied; a new database on the real server). Stores it made are closed,
 * folders removed and databases dropped afterwards. `url(kind)` is the database of the last fresh store of that kind.
 */
export function useStores(): { fresh: (kind: StoreKind) => Promise<IndexStore>; url: (kind?: Exclude<StoreKind, 'files'>) => string } {
  let database: DevDatabase | undefined;
  const roots: string[] = [];
  const open: IndexStore[] = [];
  const drops: Array<() => Promise<void>> = [];
  let realUrl = '';
  beforeAll(async () => {
    warnNoRealDatabase();
    database = await startDevDatabase({ port: await freePort() });
  });
  afterAll(async () => {
    for (const store of open) await store.close().catch(() => undefined);
    await database?.stop();
    for (const drop of drops) await drop().catch(() => undefined);
    await Promise.all(roots.map(removeDir));
  });
  return {
    url: (kind = 'pglite') => (kind === 'postgres' ? realUrl : database!.url),
    async fresh(kind) {
      if (kind === 'pglite') {
        await emptyDatabase(database!.url);
        const store = createPostgresStore(database!.url);
        open.push(store);
        return store;
      }
      if (kind === 'postgres') {
        if (!REAL_DATABASE_URL) throw new Error('no TEST_DATABASE_URL');
        const made = await createRealDatabase(REAL_DATABASE_URL);
        drops.push(made.drop);
        realUrl = made.url;
        const store = createPostgresStore(made.url);
        open.push(store);
        return store;
      }
      const root = await tempDir();
      roots.push(root);
      return createFilesStore(path.join(root, 'index'));
    },
  };
}
