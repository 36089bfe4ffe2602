// The Postgres store on a Citus coordinator with two workers (TEST_CITUS_URL): what only a cluster can get wrong — the
// tables' distribution and their indexes on every shard, HNSW's search breadth reaching the workers, parameterised
// nearest-k under generic plans, and corpus-wide keyword statistics, checked as the same hits and scores as one store.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createFilesStore } from '../../src/index/files/files-store.js';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import { searchSettings } from '../../src/index/postgres/reader.js';
import { connect, vectorLiteral } from '../../src/index/postgres/sql.js';
import type { IndexStore } from '../../src/index/store.js';
import { createSearchEngine, type SearchEngine } from '../../src/search/engine.js';
import { search } from '../../src/search/search.js';
import { hashedEmbedder, hashedVector, wordCorpus } from '../helpers/hashed-embedder.js';
import { SETTINGS } from '../helpers/orchard.js';
import { removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { CITUS_URL, createCitusSchema, warnNoRealDatabase } from '../helpers/stores.js';

warnNoRealDatabase();

async function rows(url: string, text: string, values: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result: pg.QueryResult | pg.QueryResult[] = await client.query(text, values);
    // Several statements in one: the last one's rows.
    return Array.isArray(result) ? result.at(-1)!.rows : result.rows;
  } finally {
    await client.end();
  }
}

const QUESTIONS = [
  'the pear by the quay',
  'cider press in the barn',
  'ferry to the island at the tide',
  'winter frost in the valley',
  'graft the scion with wax',
];

describe.runIf(CITUS_URL)('the Postgres store on Citus', () => {
  const embedder = hashedEmbedder(16);
  let root: string;
  let url: string;
  let drop: () => Promise<void>;
  let citus: IndexStore;
  let files: IndexStore;
  let engines: { files: SearchEngine; citus: SearchEngine };

  beforeAll(async () => {
    root = await tempDir();
    // Generic plans forced for every statement: the plan Citus cannot make for a parameterised distributed query.
    ({ url, drop } = await createCitusSchema(CITUS_URL!, 4, '-c plan_cache_mode=force_generic_plan'));
    const corpusDir = await writeCorpus(root, wordCorpus(60));
    citus = createPostgresStore(url);
    files = createFilesStore(path.join(root, 'index'));
    const options = { corpusDir, model: 'hashed', chunking: { words: 14, overlap: 4, maxTokens: 512 }, hnsw: { M: 16, efConstruction: 100 } };
    for (const store of [citus, files]) await buildIndex(embedder, { ...options, store });
    const open = async (store: IndexStore) => createSearchEngine(await store.open({ expect: embedder, efSearch: 100 }), embedder, SETTINGS);
    engines = { files: await open(files), citus: await open(citus) };
  });
  afterAll(async () => {
    await citus?.close();
    await drop?.();
    await removeDir(root);
  });

  it("hash-distributes every table of documents' rows by document, on both workers, with its indexes on every shard", async () => {
    const tables = await rows(
      url,
      `SELECT logicalrelid::regclass::text AS t, partmethod, colocationid FROM pg_dist_partition
      WHERE logicalrelid IN ('ps_documents'::regclass, 'ps_passages'::regclass, 'ps_sentences'::regclass, 'ps_blocks'::regclass, 'ps_postings'::regclass, 'ps_state'::regclass) ORDER BY 1`,
    );
    const distributed = tables.filter((t) => t.t !== 'ps_state');
    expect(distributed.map((t) => [t.t, t.partmethod])).toEqual(
      ['ps_blocks', 'ps_documents', 'ps_passages', 'ps_postings', 'ps_sentences'].map((t) => [t, 'h']),
    );
    expect(new Set(distributed.map((t) => t.colocationid)).size).toBe(1);
    expect(tables.find((t) => t.t === 'ps_state')?.partmethod).toBe('n');
    const workers = await rows(url, `SELECT DISTINCT nodeport FROM citus_shards WHERE table_name = 'ps_passages'::regclass`);
    expect(workers.length).toBe(2);
    // A document's rows on one shard: its passages and its postings are found through the same shard.
    const shardOf = await rows(url, `SELECT count(DISTINCT get_shard_id_for_distribution_column('ps_passages', source)) AS n FROM ps_passages`);
    expect(Number(shardOf[0].n)).toBe(4);
    const hnsw = await rows(
      url,
      `SELECT result FROM run_command_on_shards('ps_passages', $$SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = '%s'::regclass AND a.amname = 'hnsw'$$)`,
    );
    expect(hnsw.map((r) => r.result)).toEqual(['1', '1', '1', '1']);
  });

  it("sets HNSW's search breadth on the workers, where a session setting or set_config would not reach", async () => {
    const probe = `SELECT DISTINCT current_setting('hnsw.ef_search') AS ef FROM ps_passages`;
    const db = connect(url);
    try {
      const seen = await db.transaction(
        async (client) => {
          await client.query(searchSettings(7));
          return (await client.query(probe)).rows;
        },
        { readOnly: true },
      );
      expect(seen).toEqual([{ ef: '7' }]);
    } finally {
      await db.pool.end();
    }
    // The probe is read on the workers: the same setting made on the coordinator alone leaves them at pgvector's 40.
    const alone = await rows(url, `BEGIN; SELECT set_config('hnsw.ef_search', '7', true); ${probe}`);
    expect(alone).toEqual([{ ef: '40' }]);
  });

  it('answers nearest-k, a parameterised ORDER BY distance LIMIT, as exact search does, under generic plans', async () => {
    const reader = engines.citus.reader;
    let found = 0;
    let asked = 0;
    for (let i = 0; i < 12; i++) {
      const q = hashedVector(`probe ${i}`, 16);
      const exact = (
        await rows(url, `SET plan_cache_mode = auto; SELECT label FROM ps_passages ORDER BY (embedding <=> '${vectorLiteral(q)}') + 0, label LIMIT 10`)
      ).map((r) => Number(r.label));
      const approximate = await reader.nearest(q, 10);
      expect(approximate.length).toBe(10);
      found += approximate.filter((l) => exact.includes(l)).length;
      asked += 10;
    }
    const recall = found / asked;
    console.info(`recall@10 of the distributed HNSW search against exact search: ${recall.toFixed(3)} (${reader.manifest.passages} passages, 4 shards)`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('ranks as one store does: the same hits with the same scores, keyword statistics corpus-wide', async () => {
    expect(await engines.citus.reader.keywords.stats()).toEqual(await engines.files.reader.keywords.stats());
    for (const question of QUESTIONS) {
      const [a, b] = await Promise.all([search(engines.files, question, { k: 8 }), search(engines.citus, question, { k: 8 })]);
      expect(b.hits.map((h) => h.id)).toEqual(a.hits.map((h) => h.id));
      expect(b.hits.map((h) => h.score)).toEqual(a.hits.map((h) => expect.closeTo(h.score, 5)));
    }
    const filtered = await Promise.all([
      search(engines.files, QUESTIONS[0], { k: 5, source: 'doc-01*' }),
      search(engines.citus, QUESTIONS[0], { k: 5, source: 'doc-01*' }),
    ]);
    expect(filtered[1].hits.map((h) => h.id)).toEqual(filtered[0].hits.map((h) => h.id));
  });
});
