// `npm run bench:stores`: the files store beside the Postgres store (a real PostgreSQL given by --database-url, or npm
// run db:dev in its own process) on the same
// corpora in the same run — build time as the `build` command takes it, the index's size on disk or in the database,
// and the seed questions' figures on each (they must agree within the HNSW approximation).
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { configFrom, type Flags } from '../src/commands/shared.js';
import { exited, startCommand } from '../src/live/processes.js';
import { booksBySize } from './bench.js';
import { ROOT, folderBytes, freshDatabase, runIfMain, startDatabaseProcess, timedBuild } from './processes.js';

/** Bytes the index takes in the database: the project's tables with their indexes and TOAST. */
async function databaseBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname LIKE 'ps\\_%'`,
    );
    return Number(rows[0].bytes);
  } finally {
    await client.end();
  }
}

/** The JSON line `eval` ends with, run as a user runs it. */
async function evalFigures(env: NodeJS.ProcessEnv, questions: string): Promise<string> {
  const child = startCommand(['eval', questions], { env, stdout: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.resume();
  await exited(child);
  return out.trim().split('\n').pop() ?? '';
}

interface Row {
  corpus: string;
  store: string;
  buildS: number;
  mb: number;
  eval?: string;
}

async function measure(corpusName: string, corpus: string, work: string, modelsDir: string, questions?: string, databaseUrl?: string): Promise<Row[]> {
  const rows: Row[] = [];
  const filesEnv = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: path.join(work, `index-${corpusName}`), MODELS_DIR: modelsDir };
  const files = await timedBuild(filesEnv);
  rows.push({
    corpus: corpusName,
    store: 'files',
    buildS: files.seconds,
    mb: (await folderBytes(filesEnv.INDEX_DIR)) / 1e6,
    eval: questions && (await evalFigures(filesEnv, questions)),
  });
  const database = databaseUrl
    ? await freshDatabase(databaseUrl)
    : await startDatabaseProcess(56_000 + Math.floor(Math.random() * 4000), path.join(work, `db-${corpusName}`));
  try {
    const pgEnv = { ...process.env, CORPUS_DIR: corpus, DATABASE_URL: database.url, MODELS_DIR: modelsDir };
    const built = await timedBuild(pgEnv);
    rows.push({
      corpus: corpusName,
      store: 'postgres',
      buildS: built.seconds,
      mb: (await databaseBytes(database.url)) / 1e6,
      eval: questions && (await evalFigures(pgEnv, questions)),
    });
  } finally {
    await database.stop();
  }
  return rows;
}

export async function runBenchStores(flags: Flags & { books?: string; datasets?: string; databaseUrl?: string }): Promise<void> {
  const { books, datasets, databaseUrl, ...rest } = flags;
  const real = databaseUrl ? String(databaseUrl) : undefined;
  const config = configFrom(rest);
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-stores-'));
  const modelsDir = path.resolve(config.MODELS_DIR);
  const out = process.stdout;
  try {
    const tenBooks = path.join(work, 'books');
    await mkdir(tenBooks);
    const library = await booksBySize(path.resolve(String(datasets ?? path.join(ROOT, '..', 'shared', 'datasets', 'gutenberg'))));
    for (const b of library.slice(0, Number(books ?? 10))) await copyFile(b.file, path.join(tenBooks, path.basename(b.file)));
    const questions = path.join(ROOT, '..', 'shared', 'eval', 'seed-dev-queries.json');
    const rows = [
      ...(await measure('seed', path.resolve(config.CORPUS_DIR), work, modelsDir, questions, real)),
      ...(await measure('books', tenBooks, work, modelsDir, undefined, real)),
    ];
    out.write('\n| corpus | store | build s | ratio to files | index MB | seed questions (eval) |\n| --- | --- | --- | --- | --- | --- |\n');
    for (const r of rows) {
      const files = rows.find((x) => x.corpus === r.corpus && x.store === 'files')!;
      out.write(`| ${r.corpus} | ${r.store} | ${r.buildS.toFixed(2)} | ${(r.buildS / files.buildS).toFixed(2)} | ${r.mb.toFixed(2)} | ${r.eval ?? ''} |\n`);
    }
    out.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

runIfMain(
  import.meta.url,
  new Command('bench:stores')
    .description('the files store beside the Postgres store: build time, index size, and the seed questions on each')
    .option('--books <n>', 'how many of the smallest books make the second corpus (default 10)')
    .option('--datasets <dir>', 'folder of .txt books (default ../shared/datasets/gutenberg)')
    .option('--models-dir <dir>', 'where models are kept (MODELS_DIR)')
    .option('--database-url <url>', 'a real PostgreSQL (with pgvector) for the Postgres store; the development database otherwise')
    .action(async (flags) => runBenchStores(flags)),
);
