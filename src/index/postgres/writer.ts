// A change written into Postgres: one transaction from the first removal to the new version's row, so a reader sees
// the version before it or the version after, never a part; pgvector's HNSW index is kept up by the inserts and
// deletes themselves. A failed or stopped change is rolled back.
import type pg from 'pg';
import { AppError } from '../../errors.js';
import { HASH_BYTES, versionName, type IndexManifest } from '../manifest.js';
import type { IndexWriter, KnownSentence, SegmentData } from '../store.js';
import { DATA_TABLES, dataTables } from './schema.js';
import { beginOn, databaseError, vectorLiteral, vectorOf, type Db, type DbKind } from './sql.js';

/** Rows a statement inserts at most. */
const BATCH = 400;

interface State {
  version: number;
  blocks: number;
  totalLength: number;
}

/** `count` fresh numbers from the one sequence, ascending. */
async function ids(client: pg.PoolClient, count: number): Promise<number[]> {
  if (!count) return [];
  const { rows } = await client.query<{ id: string }>(`SELECT nextval('ps_ids') AS id FROM generate_series(1, $1::int)`, [count]);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Inserts rows in batches: `columns(from, to)` gives a batch's parameter arrays. */
async function insert(
  client: pg.PoolClient,
  sql: string,
  count: number,
  columns: (from: number, to: number) => unknown[],
  signal?: AbortSignal,
): Promise<void> {
  for (let from = 0; from < count; from += BATCH) {
    signal?.throwIfAborted();
    await client.query(sql, columns(from, Math.min(count, from + BATCH)));
  }
}

/** Each document's own sentence rows: a row shared by two documents of the segment becomes one row each. */
function rowsByDocument(segment: SegmentData): { source: string; row: number }[] {
  const out: { source: string; row: number }[] = [];
  const seen = new Set<string>();
  for (const p of segment.passages) {
    for (const s of p.sentences) {
      const key = `${p.source}\0${s.row}`;
      if (!seen.has(key)) seen.add(key), out.push({ source: p.source, row: s.row });
    }
  }
  return out;
}

/** Writes a segment's rows, every number taken from the sequence; returns its blocks and their total length. */
async function addSegment(client: pg.PoolClient, segment: SegmentData, signal?: AbortSignal): Promise<{ blocks: number; length: number }> {
  const d = segment.textVectors.length / Math.max(1, segment.textTokens.length);
  const rows = rowsByDocument(segment);
  const blocks = segment.blockPassages.length;
  const numbers = await ids(client, segment.passages.length + rows.length + blocks);
  const labels = numbers.slice(0, segment.passages.length);
  const rowIds = numbers.slice(segment.passages.length, segment.passages.length + rows.length);
  const blockIds = numbers.slice(segment.passages.length + rows.length);
  const rowOf = new Map(rows.map((r, i) => [`${r.source}\0${r.row}`, rowIds[i]]));
  for (const doc of segment.documents) {
    signal?.throwIfAborted();
    await client.query(
      `INSERT INTO ps_documents (source, format, sha256, document) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (source) DO UPDATE SET format = EXCLUDED.format, sha256 = EXCLUDED.sha256, document = EXCLUDED.document, blob = NULL`,
      [doc.source, doc.format, doc.sha256, JSON.stringify(doc)],
    );
  }
  await insert(
    client,
    'INSERT INTO ps_sentences (source, row_id, hash, tokens, embedding) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::int[], $5::vector[])',
    rows.length,
    (from, to) => {
      const part = rows.slice(from, to);
      return [
        part.map((r) => r.source),
        rowIds.slice(from, to),
        part.map((r) => Buffer.from(segment.textHashes.subarray(r.row * HASH_BYTES, (r.row + 1) * HASH_BYTES))),
        part.map((r) => segment.textTokens[r.row]),
        part.map((r) => vectorLiteral(segment.textVectors.subarray(r.row * d, (r.row + 1) * d))),
      ];
    },
    signal,
  );
  await insert(
    client,
    'INSERT INTO ps_passages (source, label, record, embedding) SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[], $4::vector[])',
    labels.length,
    (from, to) => {
      const part = segment.passages.slice(from, to);
      return [
        part.map((p) => p.source),
        labels.slice(from, to),
        part.map((p) => JSON.stringify({ ...p, sentences: p.sentences.map((s) => ({ ...s, row: rowOf.get(`${p.source}\0${s.row}`) })) })),
        part.map((_, i) => vectorLiteral(segment.passageVectors.subarray((from + i) * d, (from + i + 1) * d))),
      ];
    },
    signal,
  );
  const blockSource = segment.blockPassages.map((ps) => segment.passages[ps[0]].source);
  await insert(
    client,
    'INSERT INTO ps_blocks (source, block, length, passages) SELECT s, b, l, ARRAY(SELECT jsonb_array_elements_text(p)::bigint) FROM unnest($1::text[], $2::bigint[], $3::int[], $4::jsonb[]) AS x(s, b, l, p)',
    blocks,
    (from, to) => [
      blockSource.slice(from, to),
      blockIds.slice(from, to),
      Array.from(segment.keywords.lengths.subarray(from, to)),
      segment.blockPassages.slice(from, to).map((ps) => JSON.stringify(ps.map((l) => labels[l]))),
    ],
    signal,
  );
  const k = segment.keywords;
  const termOf = new Array<string>(k.blocks.length);
  k.terms.forEach((t, id) => termOf.fill(t, k.offsets[id], k.offsets[id + 1]));
  await insert(
    client,
    'INSERT INTO ps_postings (source, term, block, tf) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[])',
    k.blocks.length,
    (from, to) => {
      const local = Array.from(k.blocks.subarray(from, to));
      return [local.map((b) => blockSource[b]), termOf.slice(from, to), local.map((b) => blockIds[b]), Array.from(k.tfs.subarray(from, to))];
    },
    signal,
  );
  return { blocks, length: k.lengths.reduce((a, b) => a + b, 0) };
}

/**
 * Makes the data tables when there are none, or anew when the vectors' dimension changes (nothing of the old index
 * can be reused then). Returns whether the HNSW index must be made again at commit for other settings.
 */
async function prepareTables(
  client: pg.PoolClient,
  dimension: number,
  hnsw: { M: number; efConstruction: number },
  kind: DbKind,
): Promise<{ recreated: boolean; rebuildHnsw: boolean }> {
  const { rows } = await client.query<{ dimension: number | null; hnsw: { M: number; efConstruction: number } | null; present: boolean }>(
    `SELECT s.dimension, s.hnsw, to_regclass('ps_passages') IS NOT NULL AS present FROM (SELECT 1) x LEFT JOIN ps_state s ON true`,
  );
  const r = rows[0];
  if (r.present && (r.dimension === null || r.dimension === dimension)) {
    return { recreated: false, rebuildHnsw: r.hnsw !== null && (r.hnsw.M !== hnsw.M || r.hnsw.efConstruction !== hnsw.efConstruction) };
  }
  for (const t of DATA_TABLES) await client.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
  await client.query(dataTables(dimension, hnsw, kind));
  return { recreated: true, rebuildHnsw: false };
}

/** What the index knows of these sentence hashes, read on `client`, a thousand at a time. */
export async function knownOn(client: Pick<pg.PoolClient, 'query'>, hashes: string[], withVectors: boolean): Promise<Map<string, KnownSentence>> {
  const out = new Map<string, KnownSentence>();
  for (let from = 0; from < hashes.length; from += 1000) {
    const part = hashes.slice(from, from + 1000).map((h) => Buffer.from(h, 'hex'));
    const { rows } = await client.query<{ hash: Buffer; tokens: number; embedding?: string }>(
      `SELECT DISTINCT ON (hash) hash, tokens${withVectors ? ', embedding::text AS embedding' : ''} FROM ps_sentences WHERE hash = ANY($1::bytea[])`,
      [part],
    );
    for (const r of rows) out.set(r.hash.toString('hex'), { tokens: r.tokens, ...(r.embedding ? { vector: vectorOf(r.embedding) } : {}) });
  }
  return out;
}

/**
 * Removes, inside the change, the rows numbered before it (`before`, the first number it drew) of the documents
 * removed (all of them for a rebuild), and the documents the change did not add again; returns the blocks and
 * length removed. Deferred to the commit, so that the change can reuse what the removed rows knew until then.
 */
async function removeOld(client: pg.PoolClient, before: number, sources: string[] | 'all', added: Set<string>): Promise<{ blocks: number; length: number }> {
  const which = sources === 'all' ? '' : 'source = ANY($2::text[]) AND ';
  const args = (...rest: unknown[]) => (sources === 'all' ? rest : [rest[0], sources, ...rest.slice(1)]);
  const gone = (
    await client.query<{ n: string; len: string }>(
      `SELECT count(*) AS n, coalesce(sum(length), 0) AS len FROM ps_blocks WHERE ${which}block < $1`,
      args(before),
    )
  ).rows[0];
  await client.query(`DELETE FROM ps_postings WHERE ${which}block < $1`, args(before));
  await client.query(`DELETE FROM ps_blocks WHERE ${which}block < $1`, args(before));
  await client.query(`DELETE FROM ps_passages WHERE ${which}label < $1`, args(before));
  await client.query(`DELETE FROM ps_sentences WHERE ${which}row_id < $1`, args(before));
  const docs = sources === 'all' ? 'TRUE' : 'source = ANY($1::text[])';
  await client.query(
    `DELETE FROM ps_documents WHERE ${docs} AND NOT (source = ANY($${sources === 'all' ? 1 : 2}::text[]))`,
    sources === 'all' ? [[...added]] : [sources, [...added]],
  );
  return { blocks: Number(gone.n), length: Number(gone.len) };
}

/**
 * Opens a change's transaction: the version it follows (locked against another writer), the data tables a rebuild
 * needs, and the first number the change draws (what is older belongs to the version before it).
 */
async function startChange(client: pg.PoolClient, options: { replaceAll: boolean; dimension: number; hnsw: { M: number; efConstruction: number } }, db: Db) {
  const kind = await db.kind();
  await beginOn(client, kind);
  const found = (await client.query<{ version: string; blocks: string; total_length: string }>('SELECT version, blocks, total_length FROM ps_state FOR UPDATE'))
    .rows[0];
  let recreated = false;
  let rebuildHnsw = false;
  if (options.replaceAll) ({ recreated, rebuildHnsw } = await prepareTables(client, options.dimension, options.hnsw, kind));
  else if (!found) throw new AppError('INDEX_NOT_READY', db.where);
  const state: State = {
    version: Number(found?.version ?? 0),
    blocks: recreated ? 0 : Number(found?.blocks ?? 0),
    totalLength: recreated ? 0 : Number(found?.total_length ?? 0),
  };
  return { state, first: (await ids(client, 1))[0], rebuildHnsw };
}

/** Starts a change in one transaction. Throws INDEX_NOT_READY for a change that is not a rebuild of an empty store. */
export async function beginChange(
  db: Db,
  options: { replaceAll: boolean; dimension: number; hnsw: { M: number; efConstruction: number }; signal?: AbortSignal },
): Promise<IndexWriter> {
  let client: pg.PoolClient;
  try {
    client = await db.pool.connect();
  } catch (err) {
    throw databaseError(err, db.where);
  }
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw options.signal?.aborted ? err : databaseError(err, db.where);
    }
  };
  let open = true;
  const end = async (how: 'COMMIT' | 'ROLLBACK') => {
    if (!open) return;
    open = false;
    let broken = false;
    try {
      await client.query(how);
    } catch (err) {
      broken = true;
      if (how === 'COMMIT') throw err;
    } finally {
      client.release(broken);
    }
  };
  let started: Awaited<ReturnType<typeof startChange>>;
  try {
    started = await startChange(client, options, db);
  } catch (err) {
    await end('ROLLBACK').catch(() => undefined);
    throw databaseError(err, db.where);
  }
  const { state, first, rebuildHnsw } = started;
  const removed = new Set<string>();
  const added = new Set<string>();
  return {
    known: (hashes, withVectors) => run(() => knownOn(client, hashes, withVectors)),
    remove: async (sources) => {
      for (const s of sources) removed.add(s);
    },
    add: (segment) =>
      run(async () => {
        for (const d of segment.documents) added.add(d.source);
        const done = await addSegment(client, segment, options.signal);
        state.blocks += done.blocks;
        state.totalLength += done.length;
      }),
    keepBlob: (sha256, bytes) => run(async () => void (await client.query('UPDATE ps_documents SET blob = $2 WHERE sha256 = $1', [sha256, bytes]))),
    commit: (manifest: IndexManifest) =>
      run(async () => {
        options.signal?.throwIfAborted();
        if (options.replaceAll || removed.size) {
          const gone = await removeOld(client, first, options.replaceAll ? 'all' : [...removed], added);
          state.blocks -= gone.blocks;
          state.totalLength -= gone.length;
        }
        if (rebuildHnsw) {
          await client.query('DROP INDEX IF EXISTS ps_passages_hnsw');
          await client.query(
            `CREATE INDEX ps_passages_hnsw ON ps_passages USING hnsw (embedding vector_cosine_ops) WITH (m = ${Number(options.hnsw.M)}, ef_construction = ${Number(options.hnsw.efConstruction)})`,
          );
        }
        const version = state.version + 1;
        const stored = { ...manifest, version };
        await client.query(
          `INSERT INTO ps_state (id, version, manifest, blocks, total_length, dimension, hnsw) VALUES (1, $1, $2::jsonb, $3, $4, $5, $6::jsonb)
           ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, manifest = EXCLUDED.manifest, blocks = EXCLUDED.blocks,
             total_length = EXCLUDED.total_length, dimension = EXCLUDED.dimension, hnsw = EXCLUDED.hnsw, changed_at = EXCLUDED.changed_at`,
          [version, JSON.stringify(stored), state.blocks, state.totalLength, manifest.dimension, JSON.stringify(manifest.hnsw)],
        );
        await client.query('SELECT pg_notify($1, $2)', ['ps_current', versionName(version)]);
        await end('COMMIT');
        return versionName(version);
      }),
    abort: () => end('ROLLBACK').catch(() => undefined),
  };
}
