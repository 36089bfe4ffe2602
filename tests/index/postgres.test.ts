// What only the Postgres store has: a schema version, a database that can be down, builds removed once the servers
// have moved on, a lock left by a builder that died. On a real PostgreSQL with pgvector, through the pg driver.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import { SCHEMA_VERSION } from '../../src/index/postgres/schema.js';
import type { IndexStore } from '../../src/index/store.js';
import { openPostgresReader } from '../../src/index/postgres/reader.js';
import { connect } from '../../src/index/postgres/sql.js';
import { P0, P1, P2, P3, orchardOn } from '../helpers/orchard.js';
import { freePort, useStores } from '../helpers/stores.js';

const root = () => mkdtemp(path.join(os.tmpdir(), 'ps-pg-'));

async function sql(url: string, text: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the Postgres store', () => {
  const stores = useStores();
  const builds = async () => (await sql(stores.url(), `SELECT name, status FROM ps_builds ORDER BY created_at`)).map((r) => r.name as string);
  const schemas = async () => (await sql(stores.url(), `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ps\\_build%'`)).length;

  it('creates its tables at the current schema version, and refuses a database at another', async () => {
    const store = await stores.fresh('postgres');
    expect(await store.currentName()).toBeNull();
    expect(await sql(stores.url(), 'SELECT version FROM ps_schema')).toEqual([{ version: SCHEMA_VERSION }]);
    await sql(stores.url(), 'UPDATE ps_schema SET version = 999');
    const other = createPostgresStore(stores.url());
    try {
      await expect(other.currentName()).rejects.toMatchObject({ code: 'DATABASE_SCHEMA_MISMATCH', message: expect.stringContaining('999') });
    } finally {
      await other.close();
    }
  });

  it('says DATABASE_UNAVAILABLE when the database cannot be reached, without its password', async () => {
    const store = createPostgresStore(`postgres://reader:very-secret-pw@127.0.0.1:${await freePort()}/search`);
    try {
      const err = await store.currentName().then(() => null, (e: Error) => e);
      expect(err).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
      expect(err!.message).not.toContain('very-secret-pw');
      expect(store.where).toBe(`postgres://reader:***@127.0.0.1:${new URL(store.where).port}/search`);
    } finally {
      await store.close();
    }
  });

  it('keeps the current build and the one before, and an older one while a server reports it in use', async () => {
    const store = await stores.fresh('postgres');
    const build = async (s: IndexStore) => (await orchardOn(s, await root())).reader.name;
    const first = await build(store);
    const second = await build(store);
    expect(await builds()).toEqual([first, second]);
    const third = await build(store);
    expect(await builds()).toEqual([second, third]);
    await (store as ReturnType<typeof createPostgresStore>).report('a-server', second);
    await build(store);
    const fifth = await build(store);
    // The second is still served somewhere: kept; the third and fourth are gone but for the one before the current.
    expect(await builds()).toEqual([second, expect.any(String), fifth]);
    expect(await schemas()).toBe(3);
  });

  it('answers every passage asked for, however small its cache of passage records', async () => {
    const store = await stores.fresh('postgres');
    const engine = await orchardOn(store, await root());
    const db = connect(stores.url());
    try {
      const reader = await openPostgresReader(db, engine.reader.name, engine.reader.manifest, 50, { k1: 1.5, b: 0.75, delta: 0 }, 2);
      for (const labels of [[0, 1], [2, 3, 0, 1], [3, 2, 1, 0]]) {
        const found = await reader.passages(labels);
        expect(labels.map((l) => found.get(l)?.id)).toEqual(labels.map((l) => [P0, P1, P2, P3][l]));
      }
    } finally {
      await db.pool.end();
    }
  });

  it('removes what a killed build left, and takes over a lock whose holder stopped beating', async () => {
    const store = await stores.fresh('postgres');
    const current = (await orchardOn(store, await root())).reader.name;
    // A builder that died mid-way: its catalogue row, its schema, and its lock, last beaten a minute ago.
    await sql(stores.url(), `INSERT INTO ps_builds (name, schema_name, status, manifest) VALUES ('build-dead', 'ps_build_dead', 'building', '{}'); CREATE SCHEMA ps_build_dead`);
    await sql(stores.url(), `UPDATE ps_lock SET holder = 'elsewhere:1:dead', heartbeat = now() - interval '1 minute' WHERE id = 1`);
    const next = (await orchardOn(store, await root())).reader.name;
    expect(await builds()).toEqual([current, next]);
    expect(await sql(stores.url(), `SELECT nspname FROM pg_namespace WHERE nspname = 'ps_build_dead'`)).toEqual([]);
    // A live holder's lock is not taken.
    await sql(stores.url(), `UPDATE ps_lock SET holder = 'elsewhere:2:alive', heartbeat = now() WHERE id = 1`);
    await expect(store.lock()).rejects.toMatchObject({ code: 'BUILD_IN_PROGRESS', message: expect.stringContaining('elsewhere:2:alive') });
  });
});
