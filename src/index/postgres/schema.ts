// The project's tables, created and versioned here. Rows are keyed by document (`source` leads every key, so a
// document's rows can live together and a change touches only its own); passages, sentence rows and keyword blocks
// are numbered from one sequence. The version in use is one row (ps_state), changed in the same transaction as the
// rows it describes.
import { AppError } from '../../errors.js';
import type { Db, DbKind } from './sql.js';
import type pg from 'pg';

/** Bumped whenever the tables change shape. An older database's index tables are replaced; a newer one is refused. */
export const SCHEMA_VERSION = 2;

const CREATE = `
  CREATE EXTENSION IF NOT EXISTS vector;
  CREATE TABLE ps_schema (version int NOT NULL);
  CREATE TABLE ps_state (
    id int PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    manifest jsonb NOT NULL,
    blocks bigint NOT NULL,
    total_length bigint NOT NULL,
    dimension int NOT NULL,
    hnsw jsonb NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE ps_lock (id int PRIMARY KEY CHECK (id = 1), holder text, heartbeat timestamptz);
  CREATE TABLE ps_servers (id text PRIMARY KEY, build text, seen_at timestamptz NOT NULL);
  CREATE SEQUENCE ps_ids;
  CREATE TABLE ps_documents (
    source text PRIMARY KEY,
    format text NOT NULL,
    sha256 text NOT NULL,
    document jsonb NOT NULL,
    blob bytea
  );
`;

/**
 * On a Citus coordinator: every table of documents' rows hash-distributed by document (`source`), each co-located
 * with ps_documents, so that a document's rows share one shard and a change of one document touches one shard; the
 * version row a reference table (a copy on every node, changed with the rows in one distributed transaction). The
 * lock, the servers' reports and the schema version are the coordinator's own. The index's tables are a colocation
 * group of their own (moved and rebalanced together, apart from other tables). Shards per table: the database's
 * `citus.shard_count`.
 */
const CITUS_META = `SELECT create_reference_table('ps_state'); SELECT create_distributed_table('ps_documents', 'source', colocate_with => 'none')`;
const citusData = (table: string) => `SELECT create_distributed_table('${table}', 'source', colocate_with => 'ps_documents');`;

/** The tables whose columns hold vectors of one dimension, with their indexes (made on every shard on Citus). */
export function dataTables(dimension: number, hnsw: { M: number; efConstruction: number }, kind: DbKind = 'postgres'): string {
  const d = Number(dimension);
  return `
    CREATE TABLE ps_sentences (source text NOT NULL, row_id bigint NOT NULL, hash bytea NOT NULL, tokens int NOT NULL, embedding vector(${d}) NOT NULL, PRIMARY KEY (source, row_id));
    CREATE INDEX ps_sentences_hash ON ps_sentences (hash);
    CREATE INDEX ps_sentences_row ON ps_sentences (row_id);
    CREATE TABLE ps_passages (source text NOT NULL, label bigint NOT NULL, record jsonb NOT NULL, embedding vector(${d}) NOT NULL, PRIMARY KEY (source, label));
    CREATE INDEX ps_passages_label ON ps_passages (label);
    CREATE INDEX ps_passages_hnsw ON ps_passages USING hnsw (embedding vector_cosine_ops) WITH (m = ${Number(hnsw.M)}, ef_construction = ${Number(hnsw.efConstruction)});
    CREATE TABLE ps_blocks (source text NOT NULL, block bigint NOT NULL, length int NOT NULL, passages bigint[] NOT NULL, PRIMARY KEY (source, block));
    CREATE INDEX ps_blocks_block ON ps_blocks (block);
    CREATE TABLE ps_postings (source text NOT NULL, term text NOT NULL, block bigint NOT NULL, tf int NOT NULL, PRIMARY KEY (source, term, block));
    CREATE INDEX ps_postings_term ON ps_postings (term);
    ${kind === 'citus' ? DATA_TABLES.map(citusData).join('\n') : ''}
  `;
}

export const DATA_TABLES = ['ps_postings', 'ps_blocks', 'ps_passages', 'ps_sentences'];

/**
 * Creates the tables when the database has none, replaces an older version's, or checks their version. Throws
 * DATABASE_SCHEMA_MISMATCH (a newer version's tables) or DATABASE_UNAVAILABLE.
 */
export async function ensureSchema(db: Db): Promise<void> {
  await db.transaction(async (client) => {
    // One creator at a time; the lock ends with the transaction.
    await client.query('SELECT pg_advisory_xact_lock(7160348)');
    const exists = await client.query(`SELECT to_regclass('ps_schema') IS NOT NULL AS present`);
    if (exists.rows[0].present) {
      const found = (await client.query('SELECT version FROM ps_schema')).rows[0]?.version;
      if (found === SCHEMA_VERSION) return;
      if (typeof found !== 'number' || found > SCHEMA_VERSION) throw new AppError('DATABASE_SCHEMA_MISMATCH', db.where, found ?? 'none', SCHEMA_VERSION);
      await dropOld(client);
    }
    await client.query(CREATE);
    if ((await db.kind()) === 'citus') await client.query(CITUS_META);
    await client.query('INSERT INTO ps_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
  });
}

/** Drops what an older schema version made: its tables and sequences (all named ps_…), and each build's schema. */
async function dropOld(client: pg.PoolClient): Promise<void> {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ps\\_build%'`);
  for (const r of rows) await client.query(`DROP SCHEMA ${quote(r.nspname)} CASCADE`);
  const tables = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'ps\\_%'`,
  );
  for (const t of tables.rows) await client.query(`DROP TABLE IF EXISTS ${quote(t.name)} CASCADE`);
  const sequences = await client.query<{ name: string }>(
    `SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema() AND sequencename LIKE 'ps\\_%'`,
  );
  for (const q of sequences.rows) await client.query(`DROP SEQUENCE IF EXISTS ${quote(q.name)}`);
}
