// The Postgres side's plumbing: a pool whose failures are catalogued errors, parameterised statements, vectors as
// pgvector writes them, and the development database's one limit handled where it applies.
import pg from 'pg';
import pgvector from 'pgvector';
import { AppError } from '../../errors.js';

/**
 * Failures of the database as a dependency: down, unreachable, going away, refusing this role or database (wrong
 * password, no such database), or out of connections. Anything else is not ours to hide.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '28000',
  '28P01',
  '3D000',
]);

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
  // The driver's own words for a lost connection, and Citus's for a worker it cannot reach (some under XX000).
  const lost =
    /Connection terminated|connection timeout|Connection refused|not queryable|Client has encountered a connection error|timeout exceeded when trying to connect|failure on connection marked as essential|connection to the remote node|could not establish any connections to the node|connection not open/i.test(
      e.message ?? '',
    );
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

/**
 * What kind of database the store talks to, found from the database itself: the development database (PGlite, one
 * session under every connection), a PostgreSQL, or a Citus coordinator (the `citus` extension in this database).
 */
export type DbKind = 'pglite' | 'postgres' | 'citus';

export interface Db {
  pool: pg.Pool;
  where: string;
  /** The kind of database, asked once (again after a failure). */
  kind(): Promise<DbKind>;
  /** One parameterised statement; connection failures become DATABASE_UNAVAILABLE. */
  // biome-ignore lint/suspicious/noExplicitAny: the pg driver's own default for a row's type
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
 * The settings every transaction on a Citus coordinator starts with. `SET LOCAL` is sent on to the workers that a
 * transaction's statements reach (so that HNSW's breadth set for a search is the workers' too: a `set_config` is
 * not); and every plan is made for its values, since Citus cannot plan a generic plan of a parameterised query on a
 * distributed table ("could not create distributed plan"), which a server set to `force_generic_plan` would ask for;
 * and a statement reaching many shards uses one connection a worker, not one a shard: with 16 searches at once on the
 * scale corpus, a connection a shard answered 4 searches in 20 s, this 131 (docs/citus.md).
 */
export const CITUS_TRANSACTION =
  "SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL citus.max_adaptive_executor_pool_size = 1";

/** Opens a transaction on `client` with what `kind` needs of every transaction. */
export async function beginOn(client: pg.PoolClient, kind: DbKind, readOnly = false): Promise<void> {
  await client.query(readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
  if (kind === 'citus') await client.query(CITUS_TRANSACTION);
}

/** The kind of the database the pool is on. */
async function kindOf(pool: pg.Pool): Promise<DbKind> {
  const { rows } = await pool.query<{ v: string; citus: boolean }>(
    `SELECT version() AS v, EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`,
  );
  return /PGlite/.test(rows[0].v) ? 'pglite' : rows[0].citus ? 'citus' : 'postgres';
}

/**
 * A pool on `url`. The development database (PGlite behind a socket) runs every connection's messages on one session
 * and interleaves two connections' parameterised statements unless one is inside a transaction; there, and on Citus
 * (whose transactions carry settings of their own), each statement outside a transaction gets one of its own. A
 * real PostgreSQL is used as it is.
 */
export function connect(url: string, options: ConnectOptions = {}): Db {
  const where = redact(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  const onError = options.onError ?? (() => undefined);
  pool.on('error', onError);
  // A checked-out client's connection dropped by the server emits 'error' on the client: never unhandled.
  pool.on('connect', (client) => client.on('error', onError));
  let found: Promise<DbKind> | null = null;
  const kind = () => (found ??= kindOf(pool).catch((err) => ((found = null), Promise.reject(err))));
  const wrap = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (err) {
      throw databaseError(err, where);
    }
  };
  const transaction: Db['transaction'] = (work, opts = {}) =>
    wrap(async () => {
      const k = await kind();
      const client = await pool.connect();
      let broken = false;
      try {
        await beginOn(client, k, opts.readOnly);
        const out = await work(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        throw err;
      } finally {
        // A connection that could not even roll back is not given to anyone else.
        client.release(broken);
      }
    });
  return {
    pool,
    where,
    kind: () => wrap(kind),
    query: (text, values) => wrap(async () => ((await kind()) === 'postgres' ? pool.query(text, values) : transaction((c) => c.query(text, values)))),
    transaction,
  };
}
