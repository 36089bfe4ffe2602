// What only the Postgres store has: a schema version, a database that can be down, rows changed by the document in
// one transaction a version, reads in one snapshot, a lock left by a writer that died. On the development database
// (PGlite) and on a real PostgreSQL with pgvector when TEST_DATABASE_URL names one.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import { openPostgresReader, createRecordCache } from '../../src/index/postgres/reader.js';
import { SCHEMA_VERSION } from '../../src/index/postgres/schema.js';
import { connect } from '../../src/index/postgres/sql.js';
import { fixedEmbedder } from '../helpers/fixed-embedder.js';
import { ORCHARD_CHUNKING, P0, P1, P2, P3, QUERIES, SENTENCES, orchardOn } from '../helpers/orchard.js';
import { freePort, STORE_KINDS, useStores, type StoreKind } from '../helpers/stores.js';

const root = () => mkdtemp(path.join(os.tmpdir(), 'ps-pg-'));

async function sql(url: string, text: string, values: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

const DATABASES = STORE_KINDS.filter((k): k is Exclude<StoreKind, 'files'> => k !== 'files');

describe.each(DATABASES)('the Postgres store on %s', (kind) => {
  const stores = useStores();

  it("creates its tables at the current schema version, replaces an older version's, and refuses a newer one", async () => {
    const store = await stores.fresh(kind);
    expect(await store.currentName()).toBeNull();
    const url = stores.url(kind);
    expect(await sql(url, 'SELECT version FROM ps_schema')).toEqual([{ version: SCHEMA_VERSION }]);
    await sql(url, 'UPDATE ps_schema SET version = 999');
    const newer = createPostgresStore(url);
    await expect(newer.currentName()).rejects.toMatchObject({ code: 'DATABASE_SCHEMA_MISMATCH', message: expect.stringContaining('999') });
    await newer.close();
    // The tables of version 1: a build's own schema and its catalogue. They go; the index is built anew.
    await sql(
      url,
      'DROP TABLE ps_schema; CREATE TABLE ps_schema (version int); INSERT INTO ps_schema VALUES (1); CREATE TABLE ps_builds (name text); CREATE SCHEMA ps_build_old',
    );
    const older = createPostgresStore(url);
    expect(await older.currentName()).toBeNull();
    expect(await sql(url, 'SELECT version FROM ps_schema')).toEqual([{ version: SCHEMA_VERSION }]);
    expect(await sql(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ps\\_build%'`)).toEqual([]);
    expect(await sql(url, `SELECT to_regclass('ps_builds') AS t`)).toEqual([{ t: null }]);
    await older.close();
  });

  it('says DATABASE_UNAVAILABLE when the database cannot be reached, without its password', async () => {
    const store = createPostgresStore(`postgres://reader:very-secret-pw@127.0.0.1:${await freePort()}/search`);
    try {
      const err = await store.currentName().then(
        () => null,
        (e: Error) => e,
      );
      expect(err).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
      expect(err!.message).not.toContain('very-secret-pw');
      expect(store.where).toBe(`postgres://reader:***@127.0.0.1:${new URL(store.where).port}/search`);
    } finally {
      await store.close();
    }
  });

  it('changes the rows of the documents changed only, in one version, with no schema of its own', async () => {
    const store = await stores.fresh(kind);
    const dir = await root();
    const engine = await orchardOn(store, dir);
    const url = stores.url(kind);
    const before = await sql(url, `SELECT source, label FROM ps_passages ORDER BY label`);
    expect(before.map((r) => r.source)).toEqual(['orchard.txt', 'orchard.txt', 'orchard.txt', 'orchard.txt']);
    const embedder = fixedEmbedder({ ...SENTENCES, 'Nets are mended in winter.': [0, 1, 0, 0] }, QUERIES);
    await writeFile(path.join(dir, 'corpus', 'nets.txt'), 'Nets are mended in winter.');
    const added = await buildIndex(embedder, {
      corpusDir: path.join(dir, 'corpus'),
      store,
      model: 'fixed',
      chunking: ORCHARD_CHUNKING,
      hnsw: { M: 16, efConstruction: 100 },
    });
    expect(added.name).toBe(`v${Number(engine.reader.name.slice(1)) + 1}`);
    const after = await sql(url, `SELECT source, label FROM ps_passages ORDER BY label`);
    // The orchard's rows are the same rows: nothing was copied or renumbered.
    expect(after.slice(0, 4)).toEqual(before);
    expect(after.slice(4).map((r) => r.source)).toEqual(['nets.txt']);
    expect(await sql(url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'ps\\_build%'`)).toEqual([{ n: 0 }]);
    expect(await sql(url, 'SELECT version::int AS v, blocks::int AS b FROM ps_state')).toEqual([{ v: Number(added.name.slice(1)), b: 4 }]);
  });

  it('answers every passage asked for, however small its cache of passage records', async () => {
    const store = await stores.fresh(kind);
    const engine = await orchardOn(store, await root());
    const labels = await engine.reader.nearest(Float32Array.from([0.5, 0.5, 0.5, 0.5]), 10);
    const db = connect(stores.url(kind));
    try {
      const reader = openPostgresReader(db, engine.reader.name, engine.reader.manifest, 50, createRecordCache(2));
      for (const order of [
        [0, 1],
        [2, 3, 0, 1],
        [3, 2, 1, 0],
      ]) {
        const asked = order.map((i) => labels[i]);
        const found = await reader.passages(asked);
        expect(asked.map((l) => found.get(l)?.id).sort()).toEqual(order.map((i) => found.get(labels[i])!.id).sort());
        expect(asked.every((l) => found.has(l))).toBe(true);
      }
      expect(new Set([...(await reader.passages(labels)).values()].map((p) => p.id))).toEqual(new Set([P0, P1, P2, P3]));
    } finally {
      await db.pool.end();
    }
  });

  it('reads one version through a search: a change committed meanwhile is not seen until the next', async () => {
    const store = await stores.fresh(kind);
    const dir = await root();
    const engine = await orchardOn(store, dir);
    const embedder = fixedEmbedder({ ...SENTENCES, 'Nets are mended in winter.': [0, 1, 0, 0] }, QUERIES);
    const seen = await engine.reader.snapshot(async (reader) => {
      const first = (await reader.keywords.stats()).blocks;
      // Another writer's change, committed while this snapshot is open. PGlite runs one transaction at a time: there
      // the change waits for the snapshot, which must not wait for it.
      const change = (async () => {
        await writeFile(path.join(dir, 'corpus', 'nets.txt'), 'Nets are mended in winter.');
        const other = createPostgresStore(stores.url(kind));
        try {
          return await buildIndex(embedder, {
            corpusDir: path.join(dir, 'corpus'),
            store: other,
            model: 'fixed',
            chunking: ORCHARD_CHUNKING,
            hnsw: { M: 16, efConstruction: 100 },
          });
        } finally {
          await other.close();
        }
      })();
      if (kind !== 'pglite') await change;
      const second = (await reader.keywords.stats()).blocks;
      return { name: reader.name, first, second, change };
    });
    await seen.change;
    expect(seen).toMatchObject({ name: engine.reader.name, first: 3, second: 3 });
    expect(await engine.reader.snapshot(async (reader) => [reader.name, (await reader.keywords.stats()).blocks])).toEqual([
      `v${Number(engine.reader.name.slice(1)) + 1}`,
      4,
    ]);
  });

  it('takes over a lock whose holder stopped beating, waits for a live one, and rolls back a change that died', async () => {
    const store = await stores.fresh(kind);
    await orchardOn(store, await root());
    const url = stores.url(kind);
    await sql(url, `UPDATE ps_lock SET holder = 'elsewhere:1:dead', heartbeat = now() - interval '1 minute' WHERE id = 1`);
    await (await store.lock())();
    // A live holder's lock is not taken; a wait outlasts it when it lets go.
    await sql(url, `UPDATE ps_lock SET holder = 'elsewhere:2:alive', heartbeat = now() WHERE id = 1`);
    await expect(store.lock()).rejects.toMatchObject({ code: 'BUILD_IN_PROGRESS', message: expect.stringContaining('elsewhere:2:alive') });
    setTimeout(() => void sql(url, `UPDATE ps_lock SET holder = NULL WHERE id = 1`), 300);
    await (await store.lock(5000))();
    // A change begun and abandoned leaves nothing.
    const before = await sql(url, 'SELECT count(*)::int AS n FROM ps_passages');
    const writer = await store.begin({ replaceAll: true, dimension: 4, hnsw: { M: 16, efConstruction: 100 } });
    await writer.abort();
    expect(await sql(url, 'SELECT count(*)::int AS n FROM ps_passages')).toEqual(before);
  });
});
