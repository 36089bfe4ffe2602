// The load benchmark: the real server on loopback under autocannon, with a rebuild swapped in half-way through.
// Bounded by duration; only 127.0.0.1 is targeted.
import { appendFile, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import autocannon from 'autocannon';
import { ROOT, startServer, timedBuild , runIfMain } from './processes.js';
import { configFrom, type Flags } from '../src/commands/shared.js';

const TOKEN = 'load-benchmark-admin-token';

export async function runLoad(flags: Flags & { seconds?: string; connections?: string; questions?: string }): Promise<void> {
  const { seconds, connections, questions, ...rest } = flags;
  const config = configFrom(rest);
  const duration = Number(seconds ?? 60);
  const concurrency = Number(connections ?? 32);
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-load-'));
  const out = process.stdout;
  try {
    const corpus = path.join(work, 'corpus');
    await cp(path.resolve(config.CORPUS_DIR), corpus, { recursive: true });
    const env = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: path.join(work, 'index'), MODELS_DIR: path.resolve(config.MODELS_DIR), PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn',
      // Every request does the full search: with few distinct questions, the answer cache would measure only itself.
      QUERY_CACHE_SIZE: '0' };
    await timedBuild(env);
    const { child: server, base } = await startServer(env);
    const file = String(questions ?? path.join(ROOT, '..', 'shared', 'eval', 'seed-dev-queries.json'));
    const asked = (JSON.parse(await readFile(file, 'utf8')) as { q: string }[]).map((x) => x.q);
    let next = 0;

    // Half-way, a document changes and a rebuild is asked for; it must swap in without a failed request.
    const swap = setTimeout(async () => {
      const [first] = (await readdir(corpus)).filter((f) => /\.(txt|md)$/i.test(f));
      await appendFile(path.join(corpus, first), '\n\nA paragraph added during the load test.');
      await fetch(`${base}/admin/reindex`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    }, (duration * 1000) / 2);
    const before = (await (await fetch(`${base}/health`)).json()) as { index: { build: string } };

    out.write(`Load: ${concurrency} connections for ${duration} s against ${base}, ${asked.length} distinct questions, a rebuild swapped in at ${duration / 2} s\n`);
    const result = await autocannon({
      url: base,
      connections: concurrency,
      duration,
      requests: [{ method: 'GET', setupRequest: (req: any) => ({ ...req, path: `/search?q=${encodeURIComponent(asked[next++ % asked.length])}` }) }],
    });
    clearTimeout(swap);
    const after = (await (await fetch(`${base}/health`)).json()) as { index: { build: string }; rebuild: { lastError: unknown } };
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));

    const failed = result.errors + result.timeouts + result.non2xx;
    const summary = {
      connections: concurrency,
      seconds: duration,
      requests: result.requests.total,
      rps: Math.round(result.requests.average),
      p50ms: result.latency.p50,
      p99ms: result.latency.p99,
      failed,
      swapped: before.index.build !== after.index.build,
    };
    out.write('\n| requests | req/s | p50 ms | p99 ms | failed | rebuild swapped in |\n| --- | --- | --- | --- | --- | --- |\n');
    out.write(`| ${summary.requests} | ${summary.rps} | ${summary.p50ms} | ${summary.p99ms} | ${failed} | ${summary.swapped ? 'yes' : 'no'} |\n`);
    out.write(`${JSON.stringify(summary)}\n`);
    if (failed > 0 || !summary.swapped) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

runIfMain(
  import.meta.url,
  new Command('load')
    .description('load test on loopback: concurrent searches for a while, with a rebuild swapped in half-way')
    .option('--seconds <s>', 'how long (default 60)')
    .option('--connections <n>', 'concurrent connections (default 32)')
    .option('--questions <file>', 'questions file (default ../shared/eval/seed-dev-queries.json)')
    .option('--corpus-dir <dir>', 'the corpus to serve (CORPUS_DIR)')
    .option('--models-dir <dir>', 'where models are kept (MODELS_DIR)')
    .action(async (flags) => runLoad(flags))
);
