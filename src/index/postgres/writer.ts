// A build written into Postgres: its own schema filled in batches, the keyword postings and the HNSW index made in
// the database, then made current in one transaction (with a NOTIFY for the servers that listen). A build that
// fails or is stopped drops its schema; the current build is never touched until the last step.
import { blocksOf } from '../blocks.js';
import { terms } from '../lexical.js';
import type { BuildData } from '../store.js';
import { buildTables } from './schema.js';
import { inline, schemaOf, vectorLiteral, type Db } from './sql.js';

const BATCH = 500;

/** Inserts `count` rows in batches: `columns(from, to)` gives each batch's parameter arrays. */
async function insertBatches(db: Db, sql: string, count: number, columns: (from: number, to: number) => unknown[], signal?: AbortSignal): Promise<void> {
  for (let from = 0; from < count; from += BATCH) {
    signal?.throwIfAborted();
    await db.query(sql, columns(from, Math.min(count, from + BATCH)));
  }
}

async function writeSentences(db: Db, s: string, build: BuildData, signal?: AbortSignal): Promise<void> {
  const d = build.manifest.dimension;
  const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  await insertBatches(db, `INSERT INTO ${s}.sentences (row_id, hash, tokens, embedding) SELECT * FROM unnest($1::int[], $2::bytea[], $3::int[], $4::vector[])`, build.manifest.vectors, (from, to) => {
    const r = rows(from, to);
    return [
      r,
      r.map((row) => Buffer.from(build.textHashes.subarray(row * 20, row * 20 + 20))),
      r.map((row) => build.textTokens[row]),
      r.map((row) => vectorLiteral(build.textVectors.subarray(row * d, (row + 1) * d))),
    ];
  }, signal);
}

async function writePassages(db: Db, s: string, build: BuildData, signal?: AbortSignal): Promise<void> {
  const d = build.manifest.dimension;
  await insertBatches(db, `INSERT INTO ${s}.passages (label, source, record, embedding) SELECT * FROM unnest($1::int[], $2::text[], $3::jsonb[], $4::vector[])`, build.passages.length, (from, to) => {
    const labels = Array.from({ length: to - from }, (_, i) => from + i);
    return [
      labels,
      labels.map((l) => build.passages[l].source),
      labels.map((l) => JSON.stringify(build.passages[l])),
      labels.map((l) => vectorLiteral(build.passageVectors.subarray(l * d, (l + 1) * d))),
    ];
  }, signal);
}

/** Each document's extracted text, a few at a time (a book is megabytes). */
async function writeDocuments(db: Db, s: string, build: BuildData, signal?: AbortSignal): Promise<void> {
  for (const d of build.documents) {
    signal?.throwIfAborted();
    await db.query(`INSERT INTO ${s}.documents (source, format, sha256, document) VALUES ($1, $2, $3, $4::jsonb)`, [d.source, d.format, d.sha256, JSON.stringify(d)]);
  }
}

/** The keyword side: each block's length in terms and its passages, each term's count in each block, then df and stats. */
async function writePostings(db: Db, s: string, build: BuildData, signal?: AbortSignal): Promise<void> {
  const blocks = blocksOf(build.passages);
  const lengths: number[] = [];
  const postings: { term: string; block: number; tf: number }[] = [];
  blocks.texts.forEach((text, block) => {
    const words = terms(text);
    lengths.push(words.length);
    const counts = new Map<string, number>();
    for (const t of words) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [term, tf] of counts) postings.push({ term, block, tf: Math.min(tf, 65535) });
  });
  await insertBatches(db, `INSERT INTO ${s}.blocks (block, source, length, passages) SELECT b, s, l, ARRAY(SELECT jsonb_array_elements_text(p)::int) FROM unnest($1::int[], $2::text[], $3::int[], $4::jsonb[]) AS x(b, s, l, p)`, lengths.length, (from, to) => [
    Array.from({ length: to - from }, (_, i) => from + i),
    blocks.passages.slice(from, to).map((labels) => build.passages[labels[0]].source),
    lengths.slice(from, to),
    blocks.passages.slice(from, to).map((p) => JSON.stringify(p)),
  ], signal);
  await insertBatches(db, `INSERT INTO ${s}.postings (term, block, tf) SELECT * FROM unnest($1::text[], $2::int[], $3::int[])`, postings.length, (from, to) => {
    const part = postings.slice(from, to);
    return [part.map((p) => p.term), part.map((p) => p.block), part.map((p) => p.tf)];
  }, signal);
  await db.query(`INSERT INTO ${s}.terms (term, df) SELECT term, count(*) FROM ${s}.postings GROUP BY term`);
  const avg = lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : 1;
  await db.query(`INSERT INTO ${s}.stats (blocks, avg_length) VALUES ($1, $2)`, [lengths.length, avg]);
}

/**
 * Writes a complete build under the name given and makes it current. On any failure (an abort included) its schema
 * and catalogue row are removed and the error rethrown; the current build stays as it was.
 */
export async function writeBuild(db: Db, name: string, build: BuildData, signal?: AbortSignal): Promise<void> {
  const s = schemaOf(name);
  const { M, efConstruction } = build.manifest.hnsw;
  await db.query(`INSERT INTO ps_builds (name, schema_name, status, manifest) VALUES ($1, $2, 'building', $3)`, [name, s, JSON.stringify(build.manifest)]);
  try {
    await db.query(buildTables(s, build.manifest.dimension));
    await writeSentences(db, s, build, signal);
    await writePassages(db, s, build, signal);
    await writeDocuments(db, s, build, signal);
    await writePostings(db, s, build, signal);
    signal?.throwIfAborted();
    await db.query(`CREATE INDEX ON ${s}.passages USING hnsw (embedding vector_cosine_ops) WITH (m = ${Number(M)}, ef_construction = ${Number(efConstruction)})`);
    await db.query(`ANALYZE ${s}.passages; ANALYZE ${s}.sentences; ANALYZE ${s}.postings; ANALYZE ${s}.blocks; ANALYZE ${s}.terms`);
    signal?.throwIfAborted();
    await db.transaction(async (client) => {
      await client.query(inline(`UPDATE ps_builds SET status = 'ready' WHERE name = $1`, [name]));
      await client.query(
        inline(`INSERT INTO ps_current (id, build) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET build = EXCLUDED.build, changed_at = now()`, [name]),
      );
      await client.query(inline(`SELECT pg_notify('ps_current', $1)`, [name]));
    });
  } catch (err) {
    await dropBuild(db, name).catch(() => undefined);
    throw err;
  }
}

/** Removes a build: its schema and its catalogue row. */
export async function dropBuild(db: Db, name: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${schemaOf(name)} CASCADE`);
  await db.query(`DELETE FROM ps_builds WHERE name = $1 AND name NOT IN (SELECT build FROM ps_current)`, [name]);
}

/**
 * Removes the builds the servers have moved on from: neither current nor the one before it, nor reported in use by
 * a server seen in the last minute; and builds left half-written (called while holding the build lock, so no other
 * build is being written).
 */
export async function pruneBuilds(db: Db, keep: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM ps_builds
      WHERE name <> $1
        AND name NOT IN (SELECT build FROM ps_current)
        AND (status = 'building' OR name NOT IN (
          SELECT build FROM ps_servers WHERE build IS NOT NULL AND seen_at > now() - interval '60 seconds'))
        AND (status = 'building' OR name NOT IN (
          SELECT name FROM ps_builds WHERE status = 'ready' AND name NOT IN (SELECT build FROM ps_current)
          ORDER BY created_at DESC LIMIT 1))`,
    [keep],
  );
  for (const { name } of rows) await dropBuild(db, name);
  return rows.map((r) => r.name);
}
