// A build read from Postgres: the vector side by pgvector's HNSW index, the keyword side by BM25 computed in SQL over
// the build's postings (the same formula as the files store's, not Postgres's own text ranking), passage records
// cached as they are read (a build never changes).
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { terms, type Bm25Params } from '../lexical.js';
import type { BuildReader, ExtractedDocument, IndexManifest, KeywordBlocks, PassageRecord, SourceFilter } from '../store.js';
import { databaseError, inline, schemaOf, vectorLiteral, type Db } from './sql.js';

/** hnsw.ef_search set on each pooled connection, so that it is set once per connection and value. */
const efOf = new WeakMap<pg.PoolClient, number>();

/** The most hnsw.ef_search allows. */
const MAX_EF = 1000;

/** The best `depth` blocks by BM25 in SQL over the build's postings, the query's coverage and its IDF sum. */
async function keywordBlocksOf(db: Db, s: string, stats: Stats, bm25: Bm25Params, query: string, depth: number, filter: SourceFilter): Promise<KeywordBlocks> {
  const idf = (df: number) => Math.log(1 + (stats.blocks - df + 0.5) / (df + 0.5));
  const asked = new Map<string, number>();
  for (const t of terms(query)) asked.set(t, (asked.get(t) ?? 0) + 1);
  const words = [...asked.keys()];
  const [dfs, scored] = await Promise.all([
    db.query<{ term: string; df: number }>(`SELECT term, df FROM ${s}.terms WHERE term = ANY($1::text[])`, [words]),
    depth > 0 && words.length
      ? db.query<{ block: number; score: number; passages: number[] }>(
          `WITH q(term, times) AS (SELECT * FROM unnest($1::text[], $2::int[])),
                w AS (SELECT q.term, q.times * ln(1 + ($3::float8 - t.df + 0.5) / (t.df + 0.5)) AS weight FROM q JOIN ${s}.terms t ON t.term = q.term)
           SELECT p.block, b.passages,
                  SUM(w.weight * (p.tf * ($4::float8 + 1)) / (p.tf + $4::float8 * (1 - $5::float8 + $5::float8 * b.length / $6::float8))) AS score
             FROM w JOIN ${s}.postings p ON p.term = w.term JOIN ${s}.blocks b ON b.block = p.block
            ${filter ? 'WHERE b.source = ANY($8::text[])' : ''}
            GROUP BY p.block, b.passages ORDER BY score DESC, p.block ASC LIMIT $7`,
          [words, words.map((w) => asked.get(w)), stats.blocks, bm25.k1, bm25.b, stats.avg_length, depth, ...(filter ? [[...filter]] : [])],
        )
      : Promise.resolve({ rows: [] as { block: number; score: number; passages: number[] }[] }),
  ]);
  const df = new Map(dfs.rows.map((r) => [r.term, Number(r.df)]));
  const hits = scored.rows.map((r) => ({ block: r.block, score: Number(r.score), passages: r.passages }));
  const held = hits.length
    ? new Set((await db.query<{ term: string }>(`SELECT term FROM ${s}.postings WHERE block = $1 AND term = ANY($2::text[])`, [hits[0].block, words])).rows.map((r) => r.term))
    : new Set<string>();
  let total = 0;
  let covered = 0;
  let queryIdf = 0;
  for (const [t, times] of asked) {
    const w = idf(df.get(t) ?? 0);
    total += w;
    queryIdf += times * w;
    if (held.has(t)) covered += w;
  }
  return { hits, coverage: total > 0 ? Math.min(1, covered / total) : 0, queryIdf };
}

interface Stats {
  blocks: number;
  avg_length: number;
}

/** A reader of build `name`; `cacheSize` passage records are kept in memory once read. */
export async function openPostgresReader(db: Db, name: string, manifest: IndexManifest, efSearch: number, bm25: Bm25Params, cacheSize = 20_000): Promise<BuildReader> {
  const s = schemaOf(name);
  const stats = (await db.query<Stats>(`SELECT blocks, avg_length FROM ${s}.stats`)).rows[0];
  if (!stats) throw new Error(`build ${name} has no keyword statistics`);
  const records = new LRUCache<number, PassageRecord>({ max: cacheSize });

  const nearest = async (query: Float32Array, k: number, filter?: SourceFilter) => {
    if (k <= 0 || filter?.size === 0) return [];
    const ef = Math.min(MAX_EF, Math.max(efSearch, k));
    let client: pg.PoolClient;
    try {
      client = await db.pool.connect();
    } catch (err) {
      throw databaseError(err, db.where);
    }
    try {
      if (efOf.get(client) !== ef) {
        // A filtered scan goes on through the graph until it has `k` rows that pass (pgvector 0.8's iterative scan).
        await client.query(`SET hnsw.ef_search = ${ef}; SET hnsw.iterative_scan = relaxed_order`);
        efOf.set(client, ef);
      }
      const q = vectorLiteral(query);
      if (!filter) return (await client.query<{ label: number }>(inline(`SELECT label FROM ${s}.passages ORDER BY embedding <=> $1::vector LIMIT $2`, [q, k]))).rows.map((r) => r.label);
      const sources = [...filter];
      const approximate = await client.query<{ label: number }>(inline(`SELECT label FROM ${s}.passages WHERE source = ANY($3::text[]) ORDER BY embedding <=> $1::vector LIMIT $2`, [q, k, sources]));
      if (approximate.rows.length >= k) return approximate.rows.map((r) => r.label);
      // Short: every passage of the filter scored, exactly (the `+ 0` keeps the graph out of it).
      const exact = await client.query<{ label: number }>(inline(`SELECT label FROM ${s}.passages WHERE source = ANY($3::text[]) ORDER BY (embedding <=> $1::vector) + 0, label LIMIT $2`, [q, k, sources]));
      return exact.rows.map((r) => r.label);
    } catch (err) {
      throw databaseError(err, db.where);
    } finally {
      client.release();
    }
  };

  const keywordBlocks = (query: string, depth: number, filter?: SourceFilter) => keywordBlocksOf(db, s, stats, bm25, query, depth, filter);

  return {
    name,
    manifest,
    nearest,
    keywordBlocks,
    async passages(labels) {
      // Read from the cache into the answer at once: a later insert may evict what was there a moment before.
      const out = new Map<number, PassageRecord>();
      const missing: number[] = [];
      for (const l of labels) {
        const known = records.get(l);
        if (known) out.set(l, known);
        else missing.push(l);
      }
      if (missing.length) {
        const { rows } = await db.query<{ label: number; record: PassageRecord }>(`SELECT label, record FROM ${s}.passages WHERE label = ANY($1::int[])`, [missing]);
        for (const r of rows) {
          out.set(r.label, r.record);
          records.set(r.label, r.record);
        }
      }
      return out;
    },
    async cosines(query, rows) {
      const found = await db.query<{ row_id: number; cos: number }>(`SELECT row_id, -(embedding <#> $1::vector) AS cos FROM ${s}.sentences WHERE row_id = ANY($2::int[])`, [vectorLiteral(query), rows]);
      return new Map(found.rows.map((r) => [r.row_id, Number(r.cos)]));
    },
    async document(source) {
      const { rows } = await db.query<{ document: ExtractedDocument }>(`SELECT document FROM ${s}.documents WHERE source = $1`, [source]);
      return rows[0]?.document ?? null;
    },
  };
}
