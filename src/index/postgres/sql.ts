// The Postgres side's plumbing: a pool whose failures are catalogued errors, vectors as pgvector literals, and the
// names of the per-build schemas.
import pg from 'pg';
import { AppError } from '../../errors.js';

/**
 * Failures of the database as a dependency: down, unreachable, going away, or refusing this role or database (wrong
 * password, no such database). Anything else is not ours to hide.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '28000', '28P01', '3D000']);

/** The database's address without its credentials: what messages and logs may show. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}

/** Turns a failure of the driver into DATABASE_UNAVAILABLE when the database cannot be reached; others pass. */
export function databaseError(err: unknown, where: string): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  const lost = /Connection terminated|connection timeout|Connection refused|not queryable|Client has encountered a connection error/i.test(e.message ?? '');
  if ((e.code && UNAVAILABLE_CODES.has(e.code)) || lost) {
    const reason = /^[0-9A-Z]{5}$/.test(e.code ?? '') ? (e.message ?? e.code!).split('\n')[0] : (e.code ?? (e.message ?? '').split('\n')[0]);
    return new AppError('DATABASE_UNAVAILABLE', where, reason);
  }
  return err;
}

/** One value as an SQL literal, escaped by the driver's own escapeLiteral; arrays in Postgres's array syntax. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${value} cannot be written to the database`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'::bytea`;
  if (Array.isArray(value)) return pg.escapeLiteral(`{${value.map(arrayElement).join(',')}}`);
  return pg.escapeLiteral(String(value));
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return literal(value);
  if (Buffer.isBuffer(value)) return `"\\\\x${value.toString('hex')}"`;
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The statement with its $1, $2, … replaced by their values as literals: sent as one simple-protocol message. A
 * parameterised statement takes several messages (parse, bind, execute), which a database that multiplexes
 * connections per message, as the development database does, may interleave with another connection's.
 */
export function inline(text: string, values: unknown[] = []): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    if (Number(n) > values.length) throw new RangeError(`$${n} has no value`);
    return literal(values[Number(n) - 1]);
  });
}

export interface Db {
  pool: pg.Pool;
  where: string;
  /** One statement, values inlined (see `inline`); connection failures become DATABASE_UNAVAILABLE. */
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** `work` inside one transaction on one connection, committed when it resolves and rolled back when it throws. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/** A pool on `url`. Errors of idle connections are reported to `onError`, never thrown. */
export function connect(url: string, onError: (err: Error) => void = () => undefined): Db {
  const where = redact(url);
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  pool.on('error', onError);
  const wrap = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (err) {
      throw databaseError(err, where);
    }
  };
  return {
    pool,
    where,
    query: (text, values) => wrap(() => pool.query(inline(text, values))),
    transaction: (work) =>
      wrap(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await work(client);
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      }),
  };
}

/** A vector as pgvector reads it: `[x,y,…]`, each float32 written so that it reads back exactly. */
export function vectorLiteral(v: Float32Array): string {
  return `[${Array.prototype.join.call(v, ',')}]`;
}

/** The schema that holds a build's tables: its name, made safe as an identifier. */
export function schemaOf(build: string): string {
  return `ps_${build.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}
