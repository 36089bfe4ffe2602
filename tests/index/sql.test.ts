// The Postgres plumbing, checked by a database reading values back: vectors as pgvector writes them round-trip to
// the last bit of every float32, parameterised statements from many connections at once stay apart (the development
// database interleaves them unless each is in a transaction), and a database that cannot serve is a catalogued 503.
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connect, databaseError, vectorLiteral, vectorOf } from '../../src/index/postgres/sql.js';
import { STORE_KINDS, useStores, type StoreKind } from '../helpers/stores.js';

const DATABASES = STORE_KINDS.filter((k): k is Exclude<StoreKind, 'files'> => k !== 'files');

describe.each(DATABASES)('statements on %s', (kind) => {
  const stores = useStores();

  it('write vectors that read back as the same float32 values', async () => {
    await stores.fresh(kind);
    const client = new pg.Client({ connectionString: stores.url(kind) });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      await fc.assert(
        fc.asyncProperty(fc.float32Array({ minLength: 1, maxLength: 16, noDefaultInfinity: true, noNaN: true }), async (v) => {
          const { rows } = await client.query('SELECT $1::vector::text AS t', [vectorLiteral(v)]);
          const back = vectorOf(rows[0].t);
          expect(Array.from(back, (x) => (Object.is(x, -0) ? 0 : x))).toEqual(Array.from(v, (x) => (Object.is(x, -0) ? 0 : x)));
        }),
        { numRuns: 100 },
      );
    } finally {
      await client.end();
    }
  });

  it("keep parameterised statements of many connections and two processes' pools apart", async () => {
    await stores.fresh(kind);
    const a = connect(stores.url(kind), { poolSize: 8 });
    const b = connect(stores.url(kind), { poolSize: 8 });
    try {
      const asks = Array.from({ length: 400 }, (_, i) =>
        (i % 2 ? a : b).query<{ x: number; s: string; n: number[] }>(
          i % 3 ? 'SELECT $1::int AS x, $2::text AS s, $3::int[] AS n' : 'SELECT $1::int AS x, $2::text AS s, $3::int[] AS n, $4::text AS pad',
          i % 3 ? [i, `text ${i}`, [i, i + 1]] : [i, `text ${i}`, [i, i + 1], 'x'.repeat(i * 50)],
        ),
      );
      const rows = (await Promise.all(asks)).map((r) => ({ x: r.rows[0].x, s: r.rows[0].s, n: r.rows[0].n }));
      expect(rows).toEqual(Array.from({ length: 400 }, (_, i) => ({ x: i, s: `text ${i}`, n: [i, i + 1] })));
    } finally {
      await a.pool.end();
      await b.pool.end();
    }
  });
});

describe('a database that cannot serve', () => {
  it('is DATABASE_UNAVAILABLE when it is down, shutting down, or out of connections; other errors pass', () => {
    for (const code of ['ECONNREFUSED', '57P01', '57P03', '53300', '08006']) {
      expect(databaseError(Object.assign(new Error('gone'), { code }), 'postgres://db')).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
    }
    expect(databaseError(new Error('Connection terminated unexpectedly'), 'db')).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    expect(databaseError(syntax, 'db')).toBe(syntax);
  });
});
