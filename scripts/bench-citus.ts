// `npm run bench:citus -- --database-url … --citus-url …`: the Postgres store on one PostgreSQL beside the same store
// on a Citus coordinator, in the same run, on the same corpus (the smallest Gutenberg books up to --mb): the `build`
// command timed on each, then two servers on each under autocannon while a stream of document changes is put over
// HTTP (one every --change-ms), with requests/s, p50 and p99, and the changes made. Each store gets a schema of its own,
// dropped afterwards.
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { configFrom, type Flags } from '../src/commands/shared.js';
import { stopProcess } from '../src/live/processes.js';
import { booksBySize } from './bench.js';
import { changeStream, spread } from './load.js';
import { freshSchema, ROOT, runIfMain, startServer, timedBuild } from './processes.js';

const TOKEN = 'citus-benchmark-admin-token';

async function run(url: string, text: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

interface Row {
  store: string;
  buildS: number;
  passages: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  failed: number;
  changes: number;
  changesFailed: number;
}

async function measure(
  store: string,
  databaseUrl: string,
  corpus: string,
  o: { modelsDir: string; seconds: number; connections: number; changeMs: number; asked: string[] },
): Promise<Row> {
  const env = {
    ...process.env,
    CORPUS_DIR: corpus,
    DATABASE_URL: databaseUrl,
    MODELS_DIR: o.modelsDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN: TOKEN,
    QUERY_CACHE_SIZE: '0',
    INDEX_POLL_MS: '1000',
  };
  const built = await timedBuild(env);
  const passages = Number((await run(databaseUrl, 'SELECT count(*) AS n FROM ps_passages'))[0].n);
  const servers = [await startServer(env), await startServer(env)];
  // A stream of changes, each one version, put to the two servers in turn during the load.
  const changes = changeStream(
    servers.map((s) => s.base),
    o.changeMs,
    TOKEN,
  );
  try {
    const result = await spread(
      servers.map((s) => s.base),
      o.connections,
      o.seconds,
      o.asked,
    );
    return {
      store,
      buildS: Number(built.seconds.toFixed(2)),
      passages,
      requests: result.requests.total,
      rps: Math.round(result.requests.total / o.seconds),
      p50ms: result.latency.p50,
      p99ms: result.latency.p99,
      failed: result.errors + result.timeouts + result.non2xx,
      changes: changes.state.made,
      changesFailed: changes.state.failed,
    };
  } finally {
    await changes.stop();
    for (const s of servers) await stopProcess(s.child, 10_000);
  }
}

export async function runBenchCitus(
  flags: Flags & { databaseUrl?: string; citusUrl?: string; mb?: string; seconds?: string; connections?: string; changeMs?: string; shards?: string },
): Promise<void> {
  const { databaseUrl, citusUrl, mb, seconds, connections, changeMs, shards, ...rest } = flags;
  if (!databaseUrl || !citusUrl) throw new Error('give --database-url (one PostgreSQL) and --citus-url (a Citus coordinator)');
  const config = configFrom(rest);
  const asked = (JSON.parse(await readFile(path.join(ROOT, '..', 'shared', 'eval', 'books-dev-queries.json'), 'utf8')) as { q: string }[]).map((x) => x.q);
  let total = 0;
  const books = (await booksBySize(path.join(ROOT, '..', 'shared', 'datasets', 'gutenberg'))).filter((b) => (total += b.size) <= Number(mb ?? 5) * 1e6);
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-citus-'));
  const o = {
    modelsDir: path.resolve(config.MODELS_DIR),
    seconds: Number(seconds ?? 20),
    connections: Number(connections ?? 16),
    changeMs: Number(changeMs ?? 500),
    asked,
  };
  const out = process.stdout;
  const rows: Row[] = [];
  const made: Array<() => Promise<unknown>> = [];
  try {
    const corpus = path.join(work, 'corpus');
    await mkdir(corpus);
    for (const b of books) await copyFile(b.file, path.join(corpus, path.basename(b.file)));
    const shardCount = Number(shards ?? 8);
    out.write(
      `Citus beside one PostgreSQL: ${books.length} books (${(books.reduce((s, b) => s + b.size, 0) / 1e6).toFixed(2)} MB), ${shardCount} shards a table; ${o.connections} connections over 2 servers for ${o.seconds} s, a document put every ${o.changeMs} ms\n`,
    );
    for (const [store, url, settings] of [
      ['postgres', databaseUrl, ''],
      ['citus', citusUrl, `-c citus.shard_count=${shardCount}`],
    ] as const) {
      const schema = await freshSchema(url, settings);
      made.push(schema.drop);
      rows.push(await measure(store, schema.url, corpus, o));
    }
  } finally {
    for (const drop of made) await drop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  out.write(
    '\n| database | build s | passages | requests | req/s | p50 ms | p99 ms | failed | changes made | changes failed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
  );
  for (const r of rows)
    out.write(
      `| ${r.store} | ${r.buildS} | ${r.passages} | ${r.requests} | ${r.rps} | ${r.p50ms} | ${r.p99ms} | ${r.failed} | ${r.changes} | ${r.changesFailed} |\n`,
    );
  const [single, citus] = rows;
  const ratios = {
    build: Number((citus.buildS / single.buildS).toFixed(2)),
    rps: Number((citus.rps / single.rps).toFixed(2)),
    p50: Number((citus.p50ms / single.p50ms).toFixed(2)),
    p99: Number((citus.p99ms / single.p99ms).toFixed(2)),
  };
  out.write(`\nCitus over one PostgreSQL, same run: build time ×${ratios.build}, req/s ×${ratios.rps}, p50 ×${ratios.p50}, p99 ×${ratios.p99}\n`);
  out.write(`${JSON.stringify({ rows, citusOverSingle: ratios })}\n`);
  if (rows.some((r) => r.failed > 0 || r.changesFailed > 0)) process.exitCode = 1;
}

runIfMain(
  import.meta.url,
  new Command('bench-citus')
    .description('the Postgres store on one PostgreSQL beside a Citus cluster: build, load with a stream of changes')
    .option('--database-url <url>', 'one PostgreSQL with pgvector')
    .option('--citus-url <url>', 'a Citus coordinator with workers, pgvector in its database')
    .option('--mb <mb>', 'the corpus: the smallest Gutenberg books that fit (default 5)')
    .option('--seconds <s>', 'load per database (default 20)')
    .option('--connections <n>', 'concurrent connections over the two servers (default 16)')
    .option('--change-ms <ms>', 'a document put every so often during the load (default 500)')
    .option('--shards <n>', 'shards a table on Citus (default 8)')
    .option('--models-dir <dir>', 'where models are kept (MODELS_DIR)')
    .action((flags) => runBenchCitus(flags)),
);
