// The load benchmark: real servers on loopback under autocannon, with a stream of document changes put over HTTP
// meanwhile (one every --change-ms, to each server in turn), for the files store and for the Postgres store in the
// same run: N servers on one index, requests spread evenly over them, every change followed by all. The Postgres
// store is a real PostgreSQL when --database-url names one (a database of its own is made there, and dropped), else
// the development database (npm run db:dev in its own process). Only 127.0.0.1 is targeted, and every level is
// bounded by its duration.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import autocannon from 'autocannon';
import { configFrom, type Flags } from '../src/commands/shared.js';
import { stopProcess } from '../src/live/processes.js';
import { freshDatabase, ROOT, runIfMain, startDatabaseProcess, startServer, timedBuild } from './processes.js';

const TOKEN = 'load-benchmark-admin-token';
type Store = 'files' | 'postgres';

interface LoadOptions {
  store: Store;
  /** A real PostgreSQL to make the Postgres store's database on; the development database when absent. */
  databaseUrl?: string;
  changeMs: number;
  replicas: number;
  seconds: number;
  connections: number;
  asked: string[];
  corpusDir: string;
  modelsDir: string;
}

interface LoadRow {
  store: Store;
  replicas: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  failed: number;
  /** Document changes put during the load, and those refused. */
  changes: number;
  changesFailed: number;
  /** Every server answered from the last change's version at the end. */
  followed: boolean;
}

/** Autocannon on each server at once (connections split evenly), the results aggregated into one. */
export async function spread(bases: string[], connections: number, seconds: number, asked: string[]) {
  let next = 0;
  const each = Math.max(1, Math.round(connections / bases.length));
  const runs = bases.map((url) =>
    autocannon({
      url,
      connections: each,
      duration: seconds,
      skipAggregateResult: true,
      requests: [{ method: 'GET', setupRequest: (req: any) => ({ ...req, path: `/search?q=${encodeURIComponent(asked[next++ % asked.length])}` }) }],
    } as autocannon.Options),
  );
  const results = await Promise.all(runs);
  // autocannon's own merge, so that percentiles are of all requests (its typings omit it).
  return (autocannon as any).aggregateResult(results, { url: bases[0], connections: each * bases.length }) as autocannon.Result;
}

const buildOf = async (base: string) => ((await (await fetch(`${base}/health`)).json()) as { index: { build: string } }).index.build;

/**
 * A stream of document changes for a load run: a document put to each server in turn, the next `everyMs` after the
 * last was answered, until `stop` (which waits for the one under way); counts them and names the last version made.
 */
export function changeStream(bases: string[], everyMs: number, token: string) {
  const state = { made: 0, failed: 0, last: '' };
  let stopped = false;
  const running = (async () => {
    for (let i = 0; !stopped; i++) {
      const res = await fetch(`${bases[i % bases.length]}/documents/load/note-${i % 5}.md`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/markdown' },
        body: `# Note ${i}\n\nThe harbour log for change ${i} says the ferry left at ${i % 12} o'clock.`,
      }).catch(() => null);
      if (res?.ok) state.made++, (state.last = ((await res.json()) as { index: string }).index);
      else state.failed++, await res?.body?.cancel();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    state,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/** One store: a build, N servers, a load run with document changes put meanwhile, then everything stopped. */
async function loadOne(work: string, o: LoadOptions): Promise<LoadRow> {
  const corpus = path.join(work, `corpus-${o.store}`);
  await cp(o.corpusDir, corpus, { recursive: true });
  const database =
    o.store === 'postgres'
      ? o.databaseUrl
        ? await freshDatabase(o.databaseUrl)
        : await startDatabaseProcess(55_000 + Math.floor(Math.random() * 5000), path.join(work, 'db'))
      : null;
  // Every request does the full search: with few distinct questions, the answer cache would measure only itself.
  const env = {
    ...process.env,
    CORPUS_DIR: corpus,
    INDEX_DIR: path.join(work, `index-${o.store}`),
    MODELS_DIR: o.modelsDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_TOKEN: TOKEN,
    QUERY_CACHE_SIZE: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    INDEX_POLL_MS: '1000',
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    await timedBuild(env);
    for (let i = 0; i < o.replicas; i++) servers.push(await startServer(env));
    const bases = servers.map((s) => s.base);
    const changes = changeStream(bases, o.changeMs, TOKEN);
    const result = await spread(bases, o.connections, o.seconds, o.asked);
    await changes.stop();
    // Every server follows the last change within a few polls.
    let after: string[] = [];
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await Promise.all(bases.map(buildOf));
      if (after.every((b) => b === changes.state.last)) break;
    }
    return {
      store: o.store,
      replicas: o.replicas,
      requests: result.requests.total,
      rps: Math.round(result.requests.total / o.seconds),
      p50ms: result.latency.p50,
      p99ms: result.latency.p99,
      failed: result.errors + result.timeouts + result.non2xx,
      changes: changes.state.made,
      changesFailed: changes.state.failed,
      followed: changes.state.made > 0 && after.every((b) => b === changes.state.last),
    };
  } finally {
    for (const s of servers) await stopProcess(s.child, 10_000);
    await database?.stop();
  }
}

export async function runLoad(
  flags: Flags & { seconds?: string; connections?: string; questions?: string; replicas?: string; store?: string; databaseUrl?: string; changeMs?: string },
): Promise<void> {
  const { seconds, connections, questions, replicas, store, databaseUrl, changeMs, ...rest } = flags;
  const config = configFrom(rest);
  const stores: Store[] = store === 'files' || store === 'postgres' ? [store] : ['files', 'postgres'];
  const file = String(questions ?? path.join(ROOT, '..', 'shared', 'eval', 'seed-dev-queries.json'));
  const asked = (JSON.parse(await readFile(file, 'utf8')) as { q: string }[]).map((x) => x.q);
  const base = {
    replicas: Number(replicas ?? 1),
    seconds: Number(seconds ?? 60),
    connections: Number(connections ?? 32),
    changeMs: Number(changeMs ?? 1000),
    ...(databaseUrl ? { databaseUrl: String(databaseUrl) } : {}),
    asked,
    corpusDir: path.resolve(config.CORPUS_DIR),
    modelsDir: path.resolve(config.MODELS_DIR),
  };
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-load-'));
  const out = process.stdout;
  const rows: LoadRow[] = [];
  try {
    out.write(
      `Load: ${base.connections} connections over ${base.replicas} server(s) for ${base.seconds} s a store, ${asked.length} distinct questions, a document put every ${base.changeMs} ms; Postgres: ${databaseUrl ? 'a real PostgreSQL' : 'the development database'}\n`,
    );
    for (const s of stores) rows.push(await loadOne(work, { ...base, store: s }));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  out.write(
    '\n| store | servers | requests | req/s | p50 ms | p99 ms | failed | changes made / refused | every server on the last change |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
  );
  for (const r of rows)
    out.write(
      `| ${r.store} | ${r.replicas} | ${r.requests} | ${r.rps} | ${r.p50ms} | ${r.p99ms} | ${r.failed} | ${r.changes} / ${r.changesFailed} | ${r.followed ? 'yes' : 'no'} |\n`,
    );
  const files = rows.find((r) => r.store === 'files');
  const pg = rows.find((r) => r.store === 'postgres');
  const ratio = files && pg ? Number((pg.rps / files.rps).toFixed(3)) : undefined;
  if (ratio !== undefined) out.write(`\nPostgres req/s over the files store's, same run: ${ratio}\n`);
  out.write(`${JSON.stringify({ rows, postgresOverFiles: ratio })}\n`);
  if (rows.some((r) => r.failed > 0 || r.changesFailed > 0 || !r.followed)) process.exitCode = 1;
}

runIfMain(
  import.meta.url,
  new Command('load')
    .description('load test on loopback, files store and Postgres store: concurrent searches over N servers, with documents changed meanwhile')
    .option('--seconds <s>', 'how long, per store (default 60)')
    .option('--connections <n>', 'concurrent connections in all, split over the servers (default 32)')
    .option('--replicas <n>', 'servers on the one index (default 1)')
    .option('--store <store>', 'files, postgres, or both (default both)')
    .option('--questions <file>', 'questions file (default ../shared/eval/seed-dev-queries.json)')
    .option('--corpus-dir <dir>', 'the corpus to serve (CORPUS_DIR)')
    .option('--models-dir <dir>', 'where models are kept (MODELS_DIR)')
    .option('--database-url <url>', 'a real PostgreSQL (with pgvector) for the Postgres store; the development database otherwise')
    .option('--change-ms <ms>', 'a document put every this many ms during the load (default 1000)')
    .action(async (flags) => runLoad(flags)),
);
