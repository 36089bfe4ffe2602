// The project's tables, created and versioned here: the catalogue of builds, the pointer to the current one, the build
// lock, the servers' last report. Each build's own tables live in a schema of their own (build.ts).
import { AppError } from '../../errors.js';
import { inline, type Db } from './sql.js';

/** Bumped whenever the tables change shape: a database at another version is refused, never guessed at. */
export const SCHEMA_VERSION = 1;

const CREATE = `
  CREATE EXTENSION IF NOT EXISTS vector;
  CREATE TABLE IF NOT EXISTS ps_schema (version int NOT NULL);
  CREATE TABLE IF NOT EXISTS ps_builds (
    name text PRIMARY KEY,
    schema_name text NOT NULL,
    status text NOT NULL CHECK (status IN ('building', 'ready')),
    manifest jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS ps_current (
    id int PRIMARY KEY CHECK (id = 1),
    build text NOT NULL REFERENCES ps_builds (name),
    changed_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE IF NOT EXISTS ps_lock (id int PRIMARY KEY CHECK (id = 1), holder text, heartbeat timestamptz);
  CREATE TABLE IF NOT EXISTS ps_servers (id text PRIMARY KEY, build text, seen_at timestamptz NOT NULL);
`;

/**
 * Creates the tables when the database has none, or checks their version when it has. Throws
 * DATABASE_SCHEMA_MISMATCH (another version) or DATABASE_UNAVAILABLE.
 */
export async function ensureSchema(db: Db): Promise<void> {
  await db.transaction(async (client) => {
    // One creator at a time; the lock ends with the transaction.
    await client.query('SELECT pg_advisory_xact_lock(7160348)');
    const exists = await client.query(`SELECT to_regclass('ps_schema') IS NOT NULL AS present`);
    if (!exists.rows[0].present) {
      await client.query(CREATE);
      await client.query(inline('INSERT INTO ps_schema (version) VALUES ($1)', [SCHEMA_VERSION]));
      return;
    }
    const found = (await client.query('SELECT version FROM ps_schema')).rows[0]?.version;
    if (found !== SCHEMA_VERSION) throw new AppError('DATABASE_SCHEMA_MISMATCH', db.where, found ?? 'none', SCHEMA_VERSION);
  });
}

/** The tables of one build, in its own schema; `dimension` sizes its vectors. */
export function buildTables(schema: string, dimension: number): string {
  return `
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.sentences (row_id int PRIMARY KEY, hash bytea NOT NULL, tokens int NOT NULL, embedding vector(${dimension}) NOT NULL);
    CREATE TABLE ${schema}.passages (label int PRIMARY KEY, source text NOT NULL, record jsonb NOT NULL, embedding vector(${dimension}) NOT NULL);
    CREATE INDEX ON ${schema}.passages (source);
    CREATE TABLE ${schema}.blocks (block int PRIMARY KEY, source text NOT NULL, length int NOT NULL, passages int[] NOT NULL);
    CREATE TABLE ${schema}.documents (source text PRIMARY KEY, format text NOT NULL, sha256 text NOT NULL, document jsonb NOT NULL);
    CREATE TABLE ${schema}.postings (term text NOT NULL, block int NOT NULL, tf int NOT NULL, PRIMARY KEY (term, block));
    CREATE TABLE ${schema}.terms (term text PRIMARY KEY, df int NOT NULL);
    CREATE TABLE ${schema}.stats (blocks int NOT NULL, avg_length float8 NOT NULL);
  `;
}
