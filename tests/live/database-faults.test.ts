// Two servers on a real PostgreSQL of the test's own that drops their connections: every backend terminated under
// traffic (57P01 on checked-out and idle clients alike), a fast restart, and every connection slot taken (53300). No
// server exits; a request the database cannot answer is 503 DATABASE_UNAVAILABLE with Retry-After, /ready says not
// ready, a build says why it failed; and searches heal by themselves. Run when TEST_DATABASE_URL says CI has PostgreSQL.
import { cp } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KABUL_QUESTION, MODELS_DIR, removeDir, tempDir } from '../helpers/real.js';
import { runBuild, startServer, waitFor } from '../helpers/server.js';
import { REAL_DATABASE_URL, startPostgresServer, warnNoRealDatabase, type PrivateCluster } from '../helpers/stores.js';

warnNoRealDatabase();

/** How long the servers may take to heal once the database can answer again. */
const HEAL_MS = 15_000;

async function sql(url: string, text: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe.runIf(REAL_DATABASE_URL)('servers on a database that drops connections', () => {
  let root: string;
  let database: PrivateCluster;
  let env: NodeJS.ProcessEnv;
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];

  beforeAll(async () => {
    root = await tempDir();
    database = await startPostgresServer(path.join(root, 'pg'));
    // Few slots, so that a test can take them all; in force from the restart below.
    await sql(database.url, 'ALTER SYSTEM SET max_connections = 20');
    const corpus = path.join(root, 'corpus');
    await cp(path.resolve('corpus'), corpus, { recursive: true });
    env = { DATABASE_URL: database.url, CORPUS_DIR: corpus, MODELS_DIR, INDEX_POLL_MS: '500', DATABASE_POOL_SIZE: '4' };
    await runBuild(env);
    for (let i = 0; i < 2; i++) servers.push(await startServer(env));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    database?.stop();
    await removeDir(root);
  });

  /** Searches on both servers until `fault` has run and both answer again; every status seen, and every failure's code. */
  async function underTraffic(fault: () => Promise<void>): Promise<{ statuses: number[]; failures: Set<string> }> {
    const statuses: number[] = [];
    const failures = new Set<string>();
    let done = false;
    const traffic = Promise.all(
      servers.map(async (s, n) => {
        for (let i = 0; !done; i++) {
          const res = await fetch(`${s.base}/search?q=${encodeURIComponent(`question ${n}-${i} about the frontier`)}&k=3`);
          statuses.push(res.status);
          if (res.status !== 200) failures.add(`${res.status} ${((await res.json()) as any).error.code} retry-after=${res.headers.get('retry-after')}`);
          else await res.body?.cancel();
        }
      }),
    );
    try {
      await fault();
      for (const s of servers)
        await waitFor(
          async () => ((await fetch(`${s.base}/search?q=${encodeURIComponent(KABUL_QUESTION)}&k=1`)).status === 200 ? true : undefined),
          'the server to heal',
          HEAL_MS,
        );
    } finally {
      done = true;
      await traffic;
    }
    for (const s of servers) expect(s.child.exitCode).toBeNull();
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    return { statuses, failures };
  }

  /** Ends every client connection but the asker's and those of `keep`. */
  const TERMINATE = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND NOT (pid = ANY ($1::int[]))`;

  it('survives every backend terminated under traffic, three times', async () => {
    const { failures } = await underTraffic(async () => {
      for (let i = 0; i < 3; i++) {
        await sql(database.url, TERMINATE.replace('$1::int[]', "'{}'::int[]"));
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    for (const f of failures) expect(f).toBe('503 DATABASE_UNAVAILABLE retry-after=2');
  });

  it('survives a fast restart, and says not ready while the database is down', async () => {
    const { failures } = await underTraffic(async () => {
      database.stopNode(0);
      try {
        const ready = await fetch(`${servers[0].base}/ready`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as any).error.code).toBe('DATABASE_UNAVAILABLE');
        expect(ready.headers.get('retry-after')).toBe('2');
      } finally {
        database.startNode(0);
      }
    });
    // The searches that met the database down (if any did: the restart may fall between two) were answered 503.
    expect([...failures].filter((f) => f !== '503 DATABASE_UNAVAILABLE retry-after=2')).toEqual([]);
    expect((await fetch(`${servers[0].base}/ready`)).status).toBe(200);
    expect(await sql(database.url, 'SHOW max_connections')).toEqual([{ max_connections: '20' }]);
  });

  it('answers 503 with Retry-After when every connection slot is taken, a build says why, and heals when they are freed', async () => {
    const held: pg.Client[] = [];
    const { failures } = await underTraffic(async () => {
      try {
        // Every slot taken by the test, the servers' own connections ended and their slots taken in turn, until the
        // servers hold none: they must connect again, and cannot.
        for (;;) {
          for (;;) {
            const c = new pg.Client({ connectionString: database.url });
            const ok = await c.connect().then(
              () => true,
              (err: { code?: string }) => (expect(err.code).toBe('53300'), false),
            );
            if (!ok) break;
            held.push(c);
          }
          const pids = await Promise.all(held.map(async (c) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid));
          const ended = await held[0].query(TERMINATE, [pids]);
          if (!ended.rows.length) break;
        }
        const res = await fetch(`${servers[1].base}/search?q=${encodeURIComponent('a question never asked before')}&k=3`);
        expect(res.status).toBe(503);
        expect(((await res.json()) as any).error.code).toBe('DATABASE_UNAVAILABLE');
        expect(res.headers.get('retry-after')).toBe('2');
        expect((await fetch(`${servers[0].base}/ready`)).status).toBe(503);
        const build = await runBuild(env).then(
          () => 'built',
          (err: Error) => err.message,
        );
        expect(build).toMatch(/DATABASE_UNAVAILABLE|too many clients/);
      } finally {
        for (const c of held.splice(0)) await c.end();
      }
    });
    expect([...failures]).toEqual(['503 DATABASE_UNAVAILABLE retry-after=2']);
  });

  it('answers 404 for a document name the database cannot hold', async () => {
    const res = await fetch(`${servers[0].base}/view?source=a%00b&start=0&end=1`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
  });
});
