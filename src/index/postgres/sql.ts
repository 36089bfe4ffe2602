// The Postgres side's plumbing: a pool whose failures are catalogued errors, parameterised statements, vectors as
// pgvector writes them, and the development database's one limit handled where it applies.
import pg from 'pg';
import pgvector from 'pgvector';
import { AppError } from '../../errors.js';

/**
 * Failures of the database as a dependency: down, unreachable, going away, refusing this role or database (wrong
 * password, no such database), or out of connections. Anything else is not ours to hide.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '28000', '28P01', '3D000']);

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
  const lost = /Connection terminated|connection timeout|Connection refused|not queryable|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '');
  if ((e.code && UNAVAILABLE_CODES.has(e.code)) || lost) {
    const reason = /^[0-9A-Z]{5}$/.test(e.code ?? '') ? (e.message ?? e.code!).split('\n')[0] : (e.code ?? (e.message ?? '').split('\n')[0]);
    return new AppError('DATABASE_UNAVAILABLE', where, reason);
  }
  return err;
}

/** A vector as pgvector reads it: `[x,y,…]`, each float32 written so that it reads back exactly. */
export function vectorLiteral(v: Float32Array): string {
  return pgvector.toSql(Array.from(v)) as string;
}

/** A vector as pgvector writes it back (`[x,y,…]`). */
export function vectorOf(text: string): Float32Array {
  return Float32Array.from(pgvector.fromSql(text) as number[]);
}

export interface Db {
  pool: pg.Pool;
  where: string;
  /** One parameterised statement; connection failures become DATABASE_UNAVAILABLE. */
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * `work` inside one transaction on one connection, committed when it resolves and rolled back when it throws;
   * `readOnly` reads one snapshot (REPEATABLE READ) from start to end.
   */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
}

export interface ConnectOptions {
  /** Connections of the pool. */
  poolSize?: number;
  /** Errors of idle connections, reported, never thrown. */
  onError?: (err: Error) => void;
}

/**
 * A pool on `url`. The development database (PGlite behind a socket) runs every connection's messages on one session
 * and interleaves two connections' parameterised statements unless one is inside a transaction; there, each
 * statement outside a transaction gets one of its own. A real PostgreSQL is used as it is.
 */
export function connect(url: string, options: ConnectOptions = {}): Db {
  const where = redact(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  const onError = options.onError ?? (() => undefined);
  pool.on('error', onError);
  // A checked-out client's connection dropped by the server emits 'error' on the client: never unhandled.
  pool.on('connect', (client) => client.on('error', onError));
  let serial: Promise<boolean> | null = null;
  const isSerial = () =>
    (serial ??= pool.query<{ v: string }>('SELECT version() AS v').then(
      (r) => /PGlite/.test(r.rows[0].v),
      (err) => ((serial = null), Promise.reject(err)),
    ));
  const wrap = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (err) {
      throw databaseError(err, where);
    }
  };
  const transaction: Db['transaction'] = (work, opts = {}) =>
    wrap(async () => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query(opts.readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const out = await work(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        broken = await client.query('ROLLBACK').then(() => false, () => true);
        throw err;
      } finally {
        // A connection that could not even roll back is not given to anyone else.
        client.release(broken);
      }
    });
  return {
    pool,
    where,
    query: (text, values) => wrap(async () => ((await isSerial()) ? transaction((c) => c.query(text, values)) : pool.query(text, values))),
    transaction,
  };
}
