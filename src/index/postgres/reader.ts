// A version read from Postgres: the vector side by pgvector's HNSW index, the keyword side's postings by SQL (scored
// by keywords.ts, as every store's are). A search reads inside one read-only snapshot, with the HNSW search breadth
// set for that transaction only (SET LOCAL: a session setting would not follow a statement to a sharded table).
import type pg from 'pg';
import { LRUCache } from 'lru-cache';
import type { TermPostings } from '../keywords.js';
import { versionName, type IndexManifest, type PassageRecord, type SourceFilter } from '../manifest.js';
import type { BuildReader, ExtractedDocument, KeywordReader } from '../store.js';
import { vectorLiteral, type Db } from './sql.js';

/** The most hnsw.ef_search allows. */
const MAX_EF = 1000;

// biome-ignore lint/suspicious/noExplicitAny: the pg driver's own default for a row's type
type Query = <R extends pg.QueryResultRow = any>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** Passage records by label, shared by every reader of a store: a label is never given to another passage. */
export type RecordCache = LRUCache<number, PassageRecord>;

export function createRecordCache(max = 20_000): RecordCache {
  return new LRUCache<number, PassageRecord>({ max });
}

/**
 * The settings of a search's transaction: HNSW's breadth, and a filtered scan that goes on until it has k rows. As
 * `SET LOCAL` statements, which Citus sends on to the workers (db.transaction asks it to); `ef` is an integer.
 */
export function searchSettings(ef: number): string {
  return `SET LOCAL hnsw.ef_search = ${Math.trunc(ef)}; SET LOCAL hnsw.iterative_scan = relaxed_order`;
}

/** The keyword side's reads through `q`: corpus-wide counts, postings by term, the passages of blocks. */
function keywordsOn(q: Query): KeywordReader {
  return {
    async stats() {
      const r = (await q<{ blocks: string; total_length: string }>('SELECT blocks, total_length FROM ps_state')).rows[0];
      return { blocks: Number(r?.blocks ?? 0), totalLength: Number(r?.total_length ?? 0) };
    },
    async postings(terms, filter?: SourceFilter) {
      const out = new Map<string, TermPostings>();
      if (!terms.length || filter?.size === 0) return out;
      const rows = (
        await q<{ term: string; block: string; tf: number; length: number }>(
          `SELECT p.term, p.block, p.tf, b.length FROM ps_postings p JOIN ps_blocks b ON b.source = p.source AND b.block = p.block
            WHERE p.term = ANY($1::text[])${filter ? ' AND p.source = ANY($2::text[])' : ''}`,
          filter ? [terms, [...filter]] : [terms],
        )
      ).rows;
      const df = new Map<string, number>();
      if (filter)
        for (const r of (
          await q<{ term: string; n: string }>('SELECT term, count(*) AS n FROM ps_postings WHERE term = ANY($1::text[]) GROUP BY term', [terms])
        ).rows)
          df.set(r.term, Number(r.n));
      const byTerm = new Map<string, { block: number; tf: number; length: number }[]>();
      for (const r of rows) (byTerm.get(r.term) ?? byTerm.set(r.term, []).get(r.term)!).push({ block: Number(r.block), tf: r.tf, length: r.length });
      for (const term of new Set([...byTerm.keys(), ...df.keys()])) {
        const list = byTerm.get(term) ?? [];
        out.set(term, { df: filter ? (df.get(term) ?? 0) : list.length, forEach: (visit) => list.forEach((p) => visit(p.block, p.tf, p.length)) });
      }
      return out;
    },
    async blockPassages(blocks) {
      const { rows } = await q<{ block: string; passages: string[] }>('SELECT block, passages FROM ps_blocks WHERE block = ANY($1::bigint[])', [blocks]);
      return new Map(rows.map((r) => [Number(r.block), r.passages.map(Number)]));
    },
  };
}

/** The reader's questions asked through `q` (one transaction's connection). */
function readerOn(q: Query, name: string, manifest: IndexManifest, efSearch: number, records: RecordCache) {
  const keywords = keywordsOn(q);
  const nearest = async (query: Float32Array, k: number, filter?: SourceFilter) => {
    if (k <= 0 || filter?.size === 0) return [];
    await q(searchSettings(Math.min(MAX_EF, Math.max(efSearch, k))));
    const v = vectorLiteral(query);
    const labels = (rows: { label: string }[]) => rows.map((r) => Number(r.label));
    if (!filter) return labels((await q<{ label: string }>('SELECT label FROM ps_passages ORDER BY embedding <=> $1::vector LIMIT $2', [v, k])).rows);
    const sources = [...filter];
    const approximate = await q<{ label: string }>('SELECT label FROM ps_passages WHERE source = ANY($3::text[]) ORDER BY embedding <=> $1::vector LIMIT $2', [
      v,
      k,
      sources,
    ]);
    if (approximate.rows.length >= k) return labels(approximate.rows);
    // Short: every passage of the filter scored, exactly (the `+ 0` keeps the graph out of it).
    return labels(
      (
        await q<{ label: string }>('SELECT label FROM ps_passages WHERE source = ANY($3::text[]) ORDER BY (embedding <=> $1::vector) + 0, label LIMIT $2', [
          v,
          k,
          sources,
        ])
      ).rows,
    );
  };
  return {
    name,
    manifest,
    nearest,
    keywords,
    async passages(labels: number[]) {
      // Read from the cache into the answer at once: a later insert may evict what was there a moment before.
      const out = new Map<number, PassageRecord>();
      const missing: number[] = [];
      for (const l of labels) {
        const known = records.get(l);
        if (known) out.set(l, known);
        else missing.push(l);
      }
      if (missing.length) {
        const { rows } = await q<{ label: string; record: PassageRecord }>('SELECT label, record FROM ps_passages WHERE label = ANY($1::bigint[])', [missing]);
        for (const r of rows) {
          out.set(Number(r.label), r.record);
          records.set(Number(r.label), r.record);
        }
      }
      return out;
    },
    async cosines(query: Float32Array, rows: number[]) {
      const found = await q<{ row_id: string; cos: number }>(
        'SELECT row_id, -(embedding <#> $1::vector) AS cos FROM ps_sentences WHERE row_id = ANY($2::bigint[])',
        [vectorLiteral(query), rows],
      );
      return new Map(found.rows.map((r) => [Number(r.row_id), Number(r.cos)]));
    },
    async document(source: string) {
      // A text value cannot hold NUL: no document has such a name, and the database would refuse the question.
      if (source.includes('\0')) return null;
      const { rows } = await q<{ document: ExtractedDocument }>('SELECT document FROM ps_documents WHERE source = $1', [source]);
      return rows[0]?.document ?? null;
    },
  };
}

/**
 * A reader of the current version, opened as `name` with `manifest`. Each of its questions asked alone reads in a
 * snapshot of its own; `snapshot(work)` gives `work` a reader whose every question reads one snapshot, named after
 * the version that snapshot holds.
 */
export function openPostgresReader(db: Db, name: string, manifest: IndexManifest, efSearch: number, records: RecordCache = createRecordCache()): BuildReader {
  const alone = <T>(ask: (r: ReturnType<typeof readerOn>) => Promise<T>) =>
    db.transaction((client) => ask(readerOn((t, v) => client.query(t, v), name, manifest, efSearch, records)), { readOnly: true });
  const reader: BuildReader = {
    name,
    manifest,
    nearest: (query, k, filter) => alone((r) => r.nearest(query, k, filter)),
    keywords: {
      stats: () => alone((r) => r.keywords.stats()),
      postings: (terms, filter) => alone((r) => r.keywords.postings(terms, filter)),
      blockPassages: (blocks) => alone((r) => r.keywords.blockPassages(blocks)),
    },
    passages: (labels) => alone((r) => r.passages(labels)),
    cosines: (query, rows) => alone((r) => r.cosines(query, rows)),
    document: (source) => alone((r) => r.document(source)),
    snapshot: (work) =>
      db.transaction(
        async (client) => {
          const q: Query = (t, v) => client.query(t, v);
          const version = (await q<{ version: string }>('SELECT version FROM ps_state')).rows[0]?.version;
          const seen = version === undefined ? name : versionName(Number(version));
          const inner = readerOn(q, seen, manifest, efSearch, records);
          return work({ ...inner, snapshot: (w) => w(inner as BuildReader) } as BuildReader);
        },
        { readOnly: true },
      ),
  };
  return reader;
}
