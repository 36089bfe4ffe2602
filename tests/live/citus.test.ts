// Servers on a Citus cluster of the test's own (a coordinator and two workers; run when TEST_CITUS_URL says CI has
// Citus): the seed questions answered as the files store answers them, a document put over HTTP served by both
// servers, a worker stopped under traffic (503 with a code, nothing half-written) and started again (both heal with
// no restart), and a document changed after its shard moved to the other worker.
import { cp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { createPostgresStore } from '../../src/index/postgres/pg-store.js';
import { hashedEmbedder, wordCorpus } from '../helpers/hashed-embedder.js';
import { ADMIN_TOKEN, KABUL_ANSWER, KABUL_QUESTION, MODELS_DIR, removeDir, tempDir, writeCorpus } from '../helpers/real.js';
import { runBuild, startServer, waitFor } from '../helpers/server.js';
import { CITUS_URL, createCitusSchema, startCitusCluster, warnNoRealDatabase, type PrivateCluster } from '../helpers/stores.js';

warnNoRealDatabase();

const json = async (res: Response): Promise<any> => res.json();
const SEED_QUESTIONS: string[] = [KABUL_QUESTION, ...JSON.parse(readFileSync('eval/seed-more-queries.json', 'utf8')).map((q: { q: string }) => q.q)];

async function sql(url: string, text: string, values: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe.runIf(CITUS_URL)('servers on a Citus cluster', () => {
  let root: string;
  let cluster: PrivateCluster;
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  let single: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    root = await tempDir();
    cluster = await startCitusCluster(path.join(root, 'citus'));
    const corpus = path.join(root, 'corpus');
    await cp(path.resolve('corpus'), corpus, { recursive: true });
    const env = { DATABASE_URL: cluster.url, CORPUS_DIR: corpus, MODELS_DIR, INDEX_POLL_MS: '500', ADMIN_TOKEN };
    const filesEnv = { CORPUS_DIR: corpus, MODELS_DIR, INDEX_DIR: path.join(root, 'index') };
    await runBuild(env);
    await runBuild(filesEnv);
    for (let i = 0; i < 2; i++) servers.push(await startServer(env));
    single = await startServer(filesEnv);
  });
  afterAll(async () => {
    for (const s of [...servers, single]) await s?.stop();
    cluster?.stop();
    await removeDir(root);
  });

  const ask = (base: string, q: string, k = 5) => fetch(`${base}/search?q=${encodeURIComponent(q)}&k=${k}`);

  it("answers the seed questions with the files store's hits, the Kabul question at rank 1", async () => {
    for (const q of SEED_QUESTIONS) {
      const [files, a, b] = await Promise.all([single, ...servers].map(async (s) => json(await ask(s.base, q))));
      for (const body of [a, b]) {
        expect(body.hits.map((h: any) => h.id)).toEqual(files.hits.map((h: any) => h.id));
        expect(body.hits.map((h: any) => h.score)).toEqual(files.hits.map((h: any) => expect.closeTo(h.score, 4)));
      }
    }
    const kabul = await json(await ask(servers[0].base, KABUL_QUESTION, 1));
    expect(kabul.hits[0].highlight.text).toContain(KABUL_ANSWER);
  });

  it('serves a document put over HTTP through both servers', async () => {
    const started = performance.now();
    const put = await fetch(`${servers[0].base}/documents/notes/lighthouse.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
      body: 'The lighthouse keeper feeds the puffins every Tuesday at noon.',
    });
    expect(put.status).toBeLessThan(300);
    for (const s of servers) {
      await waitFor(
        async () => ((await json(await ask(s.base, 'who feeds the puffins', 1))).hits[0]?.source === 'notes/lighthouse.txt' ? true : undefined),
        'the put document',
        30_000,
      );
    }
    console.info(`a document put over HTTP was found through both servers after ${Math.round(performance.now() - started)} ms`);
  });

  it('answers 503 DATABASE_UNAVAILABLE while a worker is down, writes nothing half, and heals when it is back', async () => {
    const before = await sql(cluster.url, 'SELECT (SELECT version FROM ps_state) AS v, (SELECT count(*)::int FROM ps_passages) AS n');
    const statuses: number[] = [];
    const codes = new Set<string>();
    let done = false;
    const traffic = (async () => {
      for (let i = 0; !done; i++) {
        const res = await ask(servers[i % 2].base, `question ${i} about the frontier`);
        statuses.push(res.status);
        if (res.status !== 200) codes.add(`${res.status} ${(await json(res)).error.code} ${res.headers.get('retry-after')}`);
        else await res.body?.cancel();
      }
    })();
    await waitFor(async () => (statuses.length > 3 ? true : undefined), 'traffic');
    cluster.stopNode(1);
    let down = true;
    try {
      // A search, and a change: every status a 200 or a 503 with a code, never a 500.
      await waitFor(async () => (codes.size ? true : undefined), 'a failed search', 30_000);
      const put = await fetch(`${servers[1].base}/documents/notes/ferry.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain' },
        body: 'The ferry to the island leaves at seven.',
      });
      expect(put.status).toBe(503);
      expect((await json(put)).error.code).toBe('DATABASE_UNAVAILABLE');
      cluster.startNode(1);
      down = false;
      for (const s of servers) {
        await waitFor(async () => ((await ask(s.base, KABUL_QUESTION, 1)).status === 200 ? true : undefined), 'the server to heal', 30_000);
      }
    } finally {
      if (down) cluster.startNode(1);
      done = true;
      await traffic;
    }
    expect([...codes]).toEqual(['503 DATABASE_UNAVAILABLE 2']);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(await sql(cluster.url, 'SELECT (SELECT version FROM ps_state) AS v, (SELECT count(*)::int FROM ps_passages) AS n')).toEqual(before);
    // No two-phase commit left prepared on a worker once the coordinator has recovered them.
    await sql(cluster.url, 'SELECT recover_prepared_transactions()');
    expect(await sql(cluster.url, `SELECT result FROM run_command_on_workers('SELECT count(*) FROM pg_prepared_xacts')`)).toEqual([
      { result: '0' },
      { result: '0' },
    ]);
  });

  it('changes a document whose shard moved to the other worker', async () => {
    const { url, drop } = await createCitusSchema(cluster.url, 4);
    const store = createPostgresStore(url);
    const embedder = hashedEmbedder(16);
    try {
      const files = wordCorpus(8);
      const corpusDir = await writeCorpus(path.join(root, 'moved'), files);
      const options = { corpusDir, store, model: 'hashed', chunking: { words: 14, overlap: 4, maxTokens: 512 }, hnsw: { M: 16, efConstruction: 100 } };
      await buildIndex(embedder, options);
      const [shard] = await sql(
        url,
        `SELECT s.shardid, s.nodename, s.nodeport FROM citus_shards s WHERE s.table_name = 'ps_documents'::regclass
        AND s.shardid = get_shard_id_for_distribution_column('ps_documents', 'doc-003.txt')`,
      );
      const other = (await sql(url, `SELECT nodename, nodeport FROM pg_dist_node WHERE shouldhaveshards AND nodeport <> $1`, [shard.nodeport]))[0];
      await sql(url, `SELECT citus_move_shard_placement($1, $2, $3, $4, $5, shard_transfer_mode => 'block_writes')`, [
        shard.shardid,
        shard.nodename,
        shard.nodeport,
        other.nodename,
        other.nodeport,
      ]);
      const placed = await sql(url, `SELECT nodeport FROM citus_shards WHERE shardid = $1`, [shard.shardid]);
      expect(placed).toEqual([{ nodeport: other.nodeport }]);
      await writeFile(path.join(corpusDir, 'doc-003.txt'), 'The lighthouse lamp burns through the winter tide.');
      const changed = await buildIndex(embedder, options);
      expect(changed).toMatchObject({ changed: 1 });
      expect(await sql(url, `SELECT record->>'text' AS text FROM ps_passages WHERE source = 'doc-003.txt'`)).toEqual([
        { text: 'The lighthouse lamp burns through the winter tide.' },
      ]);
      const reader = await store.open({ expect: embedder, efSearch: 100 });
      const labels = await reader.nearest(
        embedder.embedPassages ? (await embedder.embedPassages(['The lighthouse lamp burns through the winter tide.']))[0] : new Float32Array(16),
        1,
      );
      expect([...(await reader.passages(labels)).values()].map((p) => p.source)).toEqual(['doc-003.txt']);
    } finally {
      await store.close();
      await drop();
    }
  });
});
