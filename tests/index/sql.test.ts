// Values written into SQL as literals: checked by a real PostgreSQL reading them back, whatever they hold.
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inline, literal } from '../../src/index/postgres/sql.js';
import { useStores } from '../helpers/stores.js';

describe('values inlined into statements', () => {
  const stores = useStores();

  it('read back as the same strings, numbers, byte strings and arrays of them', async () => {
    const client = new pg.Client({ connectionString: stores.url() });
    await client.connect();
    try {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), fc.array(fc.string().filter((s) => !s.includes('\0')), { maxLength: 4 }), fc.uint8Array({ maxLength: 16 }), fc.double({ noNaN: true, noDefaultInfinity: true }), async (text, list, bytes, x) => {
          const { rows } = await client.query(inline('SELECT $1::text AS text, $2::text[] AS list, $3::bytea AS bytes, $4::float8 AS x, $5::bytea[] AS many', [text, list, Buffer.from(bytes), x, [Buffer.from(bytes)]]));
          expect(rows[0].text).toBe(text);
          expect(rows[0].list).toEqual(list);
          expect(Buffer.compare(rows[0].bytes, Buffer.from(bytes))).toBe(0);
          expect(rows[0].x).toBe(Object.is(x, -0) ? 0 : x);
        }),
        { numRuns: 150 },
      );
    } finally {
      await client.end();
    }
  });

  it('refuses a number that is not finite, and a placeholder with no value', () => {
    expect(() => literal(Number.NaN)).toThrow(RangeError);
    expect(() => inline('SELECT $1, $2', [1])).toThrow('$2 has no value');
    expect(literal(null)).toBe('NULL');
  });
});
