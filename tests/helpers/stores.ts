// Every index store for the same tests: the files store in a temporary folder; the Postgres store on PGlite (PostgreSQL
// with pgvector in WebAssembly, served over the wire protocol on loopback, the zero-install development database); and
// the Postgres store on a real PostgreSQL with pgvector when TEST_DATABASE_URL names one (.ci/run starts it; see
// ../shared/tools/postgres.sh); and on a Citus coordinator with two workers when TEST_CITUS_URL names one. Without
// them, the real-server cases are skipped, and say so loudly.
import { execFileSync } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import type { IndexStore } from '../../src/index/store.js';
import { startDevDatabase, type DevDatabase } from '../../scripts/db-dev.js';

export { startDatabaseProcess } from '../../scripts/processes.js';
import { freshDatabase, freshSchema } from '../../scripts/processes.js';
import { removeDir, tempDir } from './real.js';

/**
 * A port nothing listens on now, that no other test of this run is given: taken below the system's range of ephemeral
 * ports (32768 and up on Linux), where servers started with PORT=0 never land, and claimed by a file made exclusively
 * under the system's temporary folder, so two test workers cannot be handed the same one.
 */
export async function freePort(): Promise<number> {
  const claims = path.join(os.tmpdir(), 'passage-search-test-ports');
  await mkdir(claims, { recursive: true });
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const claim = path.join(claims, String(port));
    try {
      await writeFile(claim, String(process.pid), { flag: 'wx' });
    } catch {
      // Claimed by another test; a claim older than an hour is an earlier run's, and is taken over.
      if (Date.now() - (await stat(claim)).mtimeMs < 3_600_000) continue;
      await writeFile(claim, String(process.pid));
    }
    const server = net.createServer();
    const free = await new Promise<boolean>((resolve) => server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)));
    if (!free) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}

/** The real PostgreSQL the tests may use (a server where this role may create databases), or undefined. */
export const REAL_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** A Citus coordinator (with workers) the tests may use, or undefined. */
export const CITUS_URL = process.env.TEST_CITUS_URL || undefined;

let warned = false;
let warnedCitus = false;
/** Says once, loudly, that the real-server cases are skipped and how to run them. */
export function warnNoRealDatabase(): void {
  if (!CITUS_URL && !warnedCitus) {
    warnedCitus = true;
    process.stderr.write(
      '\n*** TEST_CITUS_URL is not set: the cases on a Citus cluster are SKIPPED. To run them:\n' +
        '***   sudo ../shared/tools/postgres.sh install --citus && sudo ../shared/tools/postgres.sh start-citus /tmp/citus 55460\n' +
        '***   TEST_CITUS_URL=postgres://postgres@127.0.0.1:55460/postgres npm test\n\n',
    );
  }
  if (REAL_DATABASE_URL || warned) return;
  warned = true;
  process.stderr.write(
    '\n*** TEST_DATABASE_URL is not set: the cases on a real PostgreSQL are SKIPPED. To run them:\n' +
      '***   sudo ../shared/tools/postgres.sh install && sudo ../shared/tools/postgres.sh start /tmp/pg 55432\n' +
      '***   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres npm test\n\n',
  );
}

/**
 * A new, empty schema on the Citus coordinator: the URL names it first on the search path (pgvector's type stays
 * reachable in public), with four shards a table and any other `-c name=value` settings. Dropped, with its shards, by the returned function.
 */
export async function createCitusSchema(coordinatorUrl: string, shards = 4, settings = ''): Promise<{ url: string; drop: () => Promise<void> }> {
  return freshSchema(coordinatorUrl, `-c citus.shard_count=${shards} ${settings}`.trim());
}

/** A new, empty database on the real server, with pgvector (the benchmarks' freshDatabase); dropped by `drop`. */
export async function createRealDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const made = await freshDatabase(adminUrl);
  return { url: made.url, drop: made.stop };
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

export type StoreKind = 'files' | 'pglite' | 'postgres' | 'citus';

/** The kinds a describe.each runs on: the real servers only when they are given. */
export const STORE_KINDS: StoreKind[] = ['files', 'pglite', ...(REAL_DATABASE_URL ? ['postgres' as const] : []), ...(CITUS_URL ? ['citus' as const] : [])];

/**
 * For the calling describe: a development database for its lifetime (from its first PGlite store), and `fresh(kind)`, an empty store of any kind
 * (a new folder; the development database emptied; a new database on the real server). Stores it made are closed,
 * folders removed and databases dropped afterwards. `url(kind)` is the database of the last fresh store of that kind.
 */
export function useStores(): { fresh: (kind: StoreKind) => Promise<IndexStore>; url: (kind?: Exclude<StoreKind, 'files'>) => string } {
  let database: DevDatabase | undefined;
  const roots: string[] = [];
  const open: IndexStore[] = [];
  const drops: Array<() => Promise<void>> = [];
  const urls = new Map<StoreKind, string>();
  beforeAll(() => warnNoRealDatabase());
  afterAll(async () => {
    for (const store of open) await store.close().catch(() => undefined);
    await database?.stop();
    for (const drop of drops) await drop().catch(() => undefined);
    await Promise.all(roots.map(removeDir));
  });
  return {
    url: (kind = 'pglite') => (kind === 'pglite' ? database!.url : urls.get(kind)!),
    async fresh(kind) {
      if (kind === 'pglite') {
        // Started by the first store of its kind: a describe of the other kinds never pays for it.
        database ??= await startDevDatabase({ port: await freePort() });
        await emptyDatabase(database.url);
        const store = createPostgresStore(database.url);
        open.push(store);
        return store;
      }
      if (kind === 'postgres' || kind === 'citus') {
        const made = kind === 'postgres' ? await createRealDatabase(REAL_DATABASE_URL!) : await createCitusSchema(CITUS_URL!);
        drops.push(made.drop);
        urls.set(kind, made.url);
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

/** The PostgreSQL server tool CI uses (it starts and stops the servers the real-database tests run on). */
export const POSTGRES_TOOL = path.resolve('../shared/tools/postgres.sh');
const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  url: string;
  /** Each node's data folder: the coordinator's, then the workers'. */
  dirs: string[];
  /** Stops node `i` (`-m fast`: its connections are ended), starts it again, or both at once. */
  stopNode(i: number): void;
  startNode(i: number): void;
  restartNode(i: number): void;
  stop(): void;
}

function pgCtl(dir: string, action: string): void {
  execFileSync('su', ['postgres', '-c', `${PG_BIN}/pg_ctl -D '${dir}' -l '${dir}/log' -m fast -w ${action}`], { stdio: 'ignore' });
}

/**
 * A Citus coordinator and two workers of a test's own, under `dir` (the tool starts them as the postgres user: CI runs
 * as root), for the tests that stop its nodes; four shards a table. `stop()` stops all three.
 */
export async function startCitusCluster(dir: string): Promise<PrivateCluster> {
  const port = await freePort();
  const url = execFileSync('bash', [POSTGRES_TOOL, 'start-citus', dir, String(port)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ALTER DATABASE postgres SET citus.shard_count = 4').finally(() => client.end());
  return clusterIn(
    dir,
    url,
    [0, 1, 2].map((i) => path.join(dir, `node${i}`)),
  );
}

/** The servers postgres.sh started under `dir`, whose data folders are `dirs`: each stopped, started or restarted alone. */
function clusterIn(dir: string, url: string, dirs: string[]): PrivateCluster {
  return {
    url,
    dirs,
    stopNode: (i) => pgCtl(dirs[i], 'stop'),
    startNode: (i) => pgCtl(dirs[i], 'start'),
    restartNode: (i) => pgCtl(dirs[i], 'restart'),
    stop: () => void execFileSync('bash', [POSTGRES_TOOL, 'stop', dir], { stdio: 'ignore' }),
  };
}

/** A PostgreSQL (with pgvector) of a test's own under `dir`, for the tests that restart it or use up its connections. */
export async function startPostgresServer(dir: string): Promise<PrivateCluster> {
  const url = execFileSync('bash', [POSTGRES_TOOL, 'start', dir, String(await freePort())], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  return clusterIn(dir, url, [path.join(dir, 'node')]);
}
