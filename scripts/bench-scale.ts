// The scale section of `bench`: a large corpus built by the `build` command (wall time, passages/s, peak RSS, index
// size), the real server over it (RSS once loaded, then autocannon at several concurrencies with distinct questions,
// the answer cache off), and in process over the same index: HNSW recall@10 against exact search and the latency
// split of a search.
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import { searchSettings, type Config } from '../src/config.js';
import { currentVersion } from '../src/index/files/commits.js';
import { createFilesStore } from '../src/index/files/files-store.js';
import { createSearchEngine } from '../src/search/engine.js';
import { hnswRecall, latencySplit, sampleSentences } from './bench-search.js';
import { folderBytes, startServer, timedBuild } from './processes.js';
import { embedderFor } from '../src/commands/shared.js';

/** Resident and peak resident memory of a process, from /proc (Linux). */
async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/**
 * Distinct questions about the indexed text: a sentence from each of many places in the books, cut to at most twelve
 * words, as a reader half-remembering a passage would ask for it.
 */
async function questionsFrom(books: string[], count: number): Promise<string[]> {
  const perBook = Math.ceil(count / books.length);
  const out = new Set<string>();
  for (const book of books) {
    const sentences = (await sampleSentences(book, 4000)).filter((s) => s.split(' ').length >= 6);
    const step = Math.max(1, Math.floor(sentences.length / perBook));
    for (let i = 0; i < sentences.length && out.size < count; i += step) out.add(sentences[i].split(' ').slice(0, 12).join(' '));
  }
  return [...out];
}

export interface LoadLevel {
  connections: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

async function loadLevel(base: string, questions: string[], connections: number, seconds: number): Promise<LoadLevel> {
  let next = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req: any) => ({ ...req, path: `/search?q=${encodeURIComponent(questions[next++ % questions.length])}` }) }],
  });
  return {
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

export async function benchScale(options: { config: Config; books: string[]; work: string; seconds: number; levels: number[]; out: NodeJS.WritableStream }) {
  const { config, books, work, seconds, levels, out } = options;
  const corpus = path.join(work, 'scale-corpus');
  await mkdir(corpus);
  for (const f of books) await copyFile(f, path.join(corpus, path.basename(f)));
  const megabytes = (await Promise.all(books.map((f) => stat(f)))).reduce((s, x) => s + x.size, 0) / 1e6;
  const env = {
    ...process.env,
    CORPUS_DIR: corpus,
    INDEX_DIR: path.join(work, 'scale-index'),
    MODELS_DIR: path.resolve(config.MODELS_DIR),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Every request does the whole search: with the answer cache on, repeated questions would measure only the cache.
    QUERY_CACHE_SIZE: '0',
  };

  out.write(`\nScale: ${books.length} books, ${megabytes.toFixed(1)} MB, one \`build\` process\n`);
  const build = await timedBuild(env);
  const version = await currentVersion(env.INDEX_DIR);
  const commit = JSON.parse(await readFile(path.join(env.INDEX_DIR, 'commits', `${version}.json`), 'utf8')) as {
    manifest: { passages: number };
    segments: { name: string }[];
  };
  let rows = 0;
  for (const s of commit.segments)
    rows += (JSON.parse(await readFile(path.join(env.INDEX_DIR, 'segments', s.name, 'meta.json'), 'utf8')) as { rows: number }).rows;
  const indexMb = (await folderBytes(path.join(env.INDEX_DIR, 'segments'))) / 1e6;
  const manifest = commit.manifest;
  const figures = {
    megabytes: Number(megabytes.toFixed(1)),
    passages: manifest.passages,
    sentenceVectors: rows,
    buildS: Number(build.seconds.toFixed(1)),
    passagesPerS: Math.round(manifest.passages / build.seconds),
    buildPeakRssMb: build.peakRssMb,
    indexMb: Number(indexMb.toFixed(1)),
  };
  out.write('\n| MB | passages | sentence vectors | build s | passages/s | peak RSS MB | index on disk MB |\n| --- | --- | --- | --- | --- | --- | --- |\n');
  out.write(
    `| ${figures.megabytes} | ${figures.passages} | ${figures.sentenceVectors} | ${figures.buildS} | ${figures.passagesPerS} | ${figures.buildPeakRssMb} | ${figures.indexMb} |\n`,
  );

  const questions = await questionsFrom(books, 500);
  const server = await startServer(env);
  const levelsOut: LoadLevel[] = [];
  let memory: { rssMb: number; peakMb: number };
  try {
    const idle = await memoryOf(server.child.pid!);
    // Warm-up: the first requests compile the search path.
    await loadLevel(server.base, questions, 4, 2);
    for (const c of levels) levelsOut.push(await loadLevel(server.base, questions, c, seconds));
    memory = await memoryOf(server.child.pid!);
    out.write(
      `\nServer over that index (loaded in ${server.loadedS.toFixed(1)} s): RSS ${idle.rssMb} MB loaded, ${memory.rssMb} MB after the runs, peak ${memory.peakMb} MB\n`,
    );
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
  out.write(`\nautocannon, ${seconds} s a level, ${questions.length} distinct questions in turn, answer cache off:\n\n`);
  out.write('| connections | requests | req/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- |\n');
  for (const l of levelsOut) out.write(`| ${l.connections} | ${l.requests} | ${l.rps} | ${l.p50ms} | ${l.p99ms} | ${l.errors} |\n`);

  const inProcess = await recallAndStages(config, env.INDEX_DIR, questions, out);
  return { ...figures, serverRssMb: memory.rssMb, serverPeakRssMb: memory.peakMb, load: levelsOut, ...inProcess };
}

/** In process, the server stopped: recall of the HNSW step against exact search, and where a search's time goes. */
async function recallAndStages(config: Config, indexDir: string, questions: string[], out: NodeJS.WritableStream) {
  const embedder = await embedderFor(config);
  try {
    const reader = await createFilesStore(indexDir).open({ expect: embedder, efSearch: config.HNSW_EF_SEARCH });
    const engine = createSearchEngine(reader, embedder, searchSettings(config));
    const sample = questions.filter((_, i) => i % Math.ceil(questions.length / 100) === 0);
    const curve = await hnswRecall(engine, sample, [50, 100, 200, 400], config.HNSW_EF_SEARCH);
    out.write(
      `\nHNSW recall@10 against exact search over the ${reader.manifest.passages} passage vectors, ${sample.length} questions:\n\n| efSearch | recall@10 | ms/query |\n| --- | --- | --- |\n`,
    );
    for (const c of curve) out.write(`| ${c.ef}${c.ef === config.HNSW_EF_SEARCH ? ' (configured)' : ''} | ${c.recall10} | ${c.msPerQuery} |\n`);
    const split = await latencySplit(engine, questions.slice(0, 200));
    out.write(`\nSearch stages over that index, median ms of ${Math.min(200, questions.length)} questions asked one at a time (in process, no HTTP):\n\n`);
    out.write(
      `| embed | vector | keyword | fusion | total |\n| --- | --- | --- | --- | --- |\n| ${split.embedMs} | ${split.vectorMs} | ${split.lexicalMs} | ${split.fusionMs} | ${split.totalMs} |\n`,
    );
    const configured = curve.find((c) => c.ef === config.HNSW_EF_SEARCH) ?? curve[curve.length - 1];
    return { hnswRecall10: configured.recall10, split };
  } finally {
    await embedder.dispose();
  }
}
