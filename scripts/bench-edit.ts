// `npm run bench:edit`: what a change costs, by the document. Each step is the CLI's own process (the compiled
// `build`, as a user runs it): the full build of the books of ../shared/eval/books-corpus.txt, and a one-paragraph
// edit of one book on an index of 2 books and on an index of all of them (the edit's cost should not grow with the
// corpus). Then the server over the full index, idle and with searches running at 1 and 8 connections: a document put over HTTP, and
// a file edited in the watched folder, each timed until a search finds it, with every failed request counted.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { stopProcess } from '../src/live/processes.js';
import { booksBySize, upTo } from './bench.js';
import { ROOT, runIfMain, startServer, timedBuild } from './processes.js';

const TOKEN = 'bench-edit-admin-token-0123456789';

interface Flags {
  shared?: string;
  edits?: string;
}

/** The folder of `books` copied from the datasets, fresh. */
async function corpusOf(dir: string, books: string[], datasets: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const b of books) await copyFile(path.join(datasets, b), path.join(dir, b));
  return dir;
}

/**
 * Adds `sentence` to the `n`th long paragraph of `file`: a one-paragraph edit, inside the book's text (not after its
 * end, where the licence text that is left out of the index begins).
 */
async function editParagraph(file: string, n: number, sentence = `The keeper's ledger for edit ${n} was found under the stairs.`): Promise<void> {
  const text = await readFile(file, 'utf8');
  const paragraphs = text.split(/\n\s*\n/);
  const long = paragraphs.map((p, i) => [p, i] as const).filter(([p]) => p.length > 400);
  const [p, i] = long[(n * 37) % long.length];
  paragraphs[i] = `${p} ${sentence}`;
  await writeFile(file, paragraphs.join('\n\n'));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f2 = (x: number) => x.toFixed(2);

/** The edits' times on the index of `corpus`, built first (untimed). */
async function editTimes(corpus: string, index: string, book: string, edits: number): Promise<{ seconds: number[]; first: number; passages: string }> {
  const env = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: index, LOG_LEVEL: 'warn' };
  await rm(index, { recursive: true, force: true });
  const first = await timedBuild(env, true);
  const seconds: number[] = [];
  for (let n = 0; n < edits; n++) {
    await editParagraph(path.join(corpus, book), n);
    const run = await timedBuild(env, true);
    if (!/Updated 1 document/.test(run.output)) throw new Error(`the edit was not made by the document: ${run.output.slice(-500)}`);
    seconds.push(run.seconds);
  }
  return { seconds, first: first.seconds, passages: first.output.match(/: (\d+) passages/)?.[1] ?? '?' };
}

/** Searches for `word` until a hit's text holds it; the seconds from `since`. */
async function visibleAfter(base: string, word: string, since: number): Promise<number> {
  for (;;) {
    const res = await fetch(`${base}/search?q=${word}&k=3`);
    if (res.ok && ((await res.json()) as { hits: { text: string }[] }).hits.some((h) => h.text.includes(word))) return (performance.now() - since) / 1000;
    if (performance.now() - since > 120_000) throw new Error(`${word} never became searchable`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function liveChanges(corpus: string, index: string, book: string, settings: Record<string, string> = {}): Promise<void> {
  const env = {
    ...process.env,
    ...settings,
    CORPUS_DIR: corpus,
    INDEX_DIR: index,
    PORT: '0',
    HOST: '127.0.0.1',
    WATCH: 'true',
    ADMIN_TOKEN: TOKEN,
    QUERY_CACHE_SIZE: '0',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const server = await startServer(env, true);
  try {
    process.stdout.write(
      '\nLive changes on the server over this index (a document put over HTTP; a file of the watched folder edited), each timed until a search finds its new word:\n' +
        '| searches meanwhile | PUT answered s | PUT searchable s | watched edit searchable s | searches | failed | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    for (const connections of [0, 1, 8]) await changesUnder(server.base, corpus, book, connections);
  } finally {
    await stopProcess(server.child, 10_000);
  }
}

/** One round of changes with `connections` clients searching meanwhile (none: the server idle), as a table row. */
async function changesUnder(base: string, corpus: string, book: string, connections: number): Promise<void> {
  // Words no book holds, new at each round: a change is visible when a search finds its word.
  const suffix = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].sort(() => Math.random() - 0.5).join('');
  const questions = ['who was the monster', 'where did the whale go', 'what did Holmes deduce', 'a letter from the captain', 'the ball at Netherfield'];
  let i = 0;
  let finished!: (r: autocannon.Result | undefined) => void;
  const done = new Promise<autocannon.Result | undefined>((resolve) => (finished = resolve));
  const load = connections
    ? autocannon(
        {
          url: base,
          connections,
          duration: 1000,
          requests: [{ setupRequest: (req) => ({ ...req, path: `/search?q=${encodeURIComponent(questions[i++ % questions.length])}&k=10` }) }],
        },
        (_err, result) => finished(result),
      )
    : (finished(undefined), null);
  let times: { answered: number; putVisible: number; watchVisible: number };
  try {
    await new Promise((r) => setTimeout(r, 2000));
    times = await changeWhileLoaded(base, corpus, book, `zanzibarquill${suffix}`, `marrowglint${suffix}`, connections);
  } finally {
    load?.stop();
  }
  const result = await done;
  const searches = result ? [result.requests.total, result.errors + result.non2xx, result.latency.p50, result.latency.p99] : ['—', '—', '—', '—'];
  process.stdout.write(
    `| ${connections || 'none'} | ${f2(times.answered)} | ${f2(times.putVisible)} | ${f2(times.watchVisible)} | ${searches.join(' | ')} |\n`,
  );
}

/** A document put over HTTP, then a file of the watched folder edited, each timed until a search finds its word. */
async function changeWhileLoaded(base: string, corpus: string, book: string, putWord: string, editWord: string, round: number) {
  const put = performance.now();
  const res = await fetch(`${base}/documents/notes/ledger-${round}.md`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/markdown' },
    body: `# Ledger\n\nThe quartermaster wrote ${putWord} in the ledger.`,
  });
  if (!res.ok) throw new Error(`PUT failed: ${res.status} ${await res.text()}`);
  const answered = (performance.now() - put) / 1000;
  const putVisible = await visibleAfter(base, putWord, put);
  const edited = performance.now();
  await editParagraph(path.join(corpus, book), 11, `The harbour pilot signed as ${editWord} that winter.`);
  const watchVisible = await visibleAfter(base, editWord, edited);
  return { answered, putVisible, watchVisible };
}

/** Resident and peak resident memory of a process, from /proc (Linux), in MB. */
async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/** /health's answer time while six deep grouped pages are asked at once, beside the pages' own times. */
export async function deepPages(base: string): Promise<void> {
  // A first search waits for the index's calibration, which runs as a server starts: measured after it, not during.
  await fetch(`${base}/search?q=warm&k=1`);
  const health: number[] = [];
  let asking = true;
  const probe = (async () => {
    while (asking) {
      const t = performance.now();
      await fetch(`${base}/health`);
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const pages = [40, 50, 1000].flatMap((offset) => [offset, offset]);
  const timed = await Promise.all(
    pages.map(async (offset, i) => {
      const t = performance.now();
      const res = await fetch(
        `${base}/search?q=${encodeURIComponent(['the whale and the sea', 'a letter from home'][i % 2])}&groupBy=source&offset=${offset}&k=50`,
      );
      const hits = ((await res.json()) as { hits?: unknown[] }).hits?.length ?? -1;
      return `offset ${offset}: ${f2((performance.now() - t) / 1000)} s, ${hits} hits`;
    }),
  );
  asking = false;
  await probe;
  const sorted = [...health].sort((a, b) => a - b);
  process.stdout.write(
    `Six grouped pages at once (groupBy=source, k=50): ${timed.join('; ')}. /health meanwhile: ${health.length} answers, ` +
      `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, slowest ${sorted[sorted.length - 1].toFixed(1)} ms\n`,
  );
}

/**
 * The large index: the smallest books within `megabytes` built at the default passage size (time and peak RSS), then
 * at passages of `words` words (every vector reused), enough for about 100,000 passages; the server over it (time to
 * listen with the index loaded, and its RSS), and the live changes on it.
 */
async function scale(shared: string, megabytes: number, words: number, keep = false): Promise<void> {
  const library = await booksBySize(path.join(shared, 'datasets', 'gutenberg'));
  const books = upTo(library, megabytes).map((f) => path.basename(f));
  const work = path.join(ROOT, '.cache', 'bench-edit-scale');
  const corpus = await corpusOf(path.join(work, 'corpus'), books, path.join(shared, 'datasets', 'gutenberg'));
  const index = path.join(work, 'index');
  if (!keep) await rm(index, { recursive: true, force: true });
  const env = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: index, LOG_LEVEL: 'warn' };
  // With --keep, the index an earlier run left is built again at the default size, reusing every vector.
  const first = await timedBuild(env, true);
  const small = { ...env, CHUNK_WORDS: String(words), CHUNK_OVERLAP: String(Math.round(words / 4)) };
  const second = await timedBuild(small, true);
  const passages = (run: { output: string }) => run.output.match(/: (\d+) passages/)?.[1] ?? '?';
  process.stdout.write(
    `\nLarge index: ${books.length} books, ${megabytes} MB, each build the compiled CLI's own process:\n` +
      `| passages of | passages | build s | peak RSS MB | sentences embedded |\n| --- | --- | --- | --- | --- |\n` +
      `| the default (145) words | ${passages(first)} | ${f2(first.seconds)} | ${first.peakRssMb} | ${first.output.match(/(\d+) sentences embedded/)?.[1]} |\n` +
      `| ${words} words | ${passages(second)} | ${f2(second.seconds)} | ${second.peakRssMb} | ${second.output.match(/(\d+) sentences embedded/)?.[1]} |\n`,
  );
  const starts: number[] = [];
  let memory = { rssMb: 0, peakMb: 0 };
  for (let i = 0; i < 3; i++) {
    const server = await startServer({ ...small, PORT: '0', HOST: '127.0.0.1', QUERY_CACHE_SIZE: '0', RATE_LIMIT_PER_MINUTE: '0' }, true);
    starts.push(server.loadedS);
    memory = await memoryOf(server.child.pid!);
    if (i === 2) await deepPages(server.base);
    await stopProcess(server.child, 10_000);
  }
  process.stdout.write(
    `Server over the ${passages(second)}-passage index: listening with it loaded in ${starts.map(f2).join(', ')} s; RSS ${memory.rssMb} MB (peak ${memory.peakMb} MB)\n`,
  );
  await liveChanges(corpus, index, books[Math.floor(books.length / 2)], { CHUNK_WORDS: small.CHUNK_WORDS, CHUNK_OVERLAP: small.CHUNK_OVERLAP });
}

export async function runBenchEdit(flags: Flags & { liveOnly?: boolean; scaleMb?: string; words?: string; keep?: boolean }): Promise<void> {
  const shared = path.resolve(ROOT, flags.shared ?? '../shared');
  const edits = Number(flags.edits ?? 3);
  const books = (await readFile(path.join(shared, 'eval', 'books-corpus.txt'), 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const datasets = path.join(shared, 'datasets', 'gutenberg');
  const work = path.join(ROOT, '.cache', 'bench-edit');
  execFileSync('npm', ['run', '-s', 'compile'], { cwd: ROOT, stdio: 'inherit' });
  const book = books[0];
  if (flags.scaleMb) {
    execFileSync('npm', ['run', '-s', 'compile'], { cwd: ROOT, stdio: 'inherit' });
    return scale(shared, Number(flags.scaleMb), Number(flags.words ?? 40), Boolean(flags.keep));
  }
  if (flags.liveOnly) return liveChanges(path.join(work, 'all'), path.join(work, 'all-index'), book);

  const two = await editTimes(await corpusOf(path.join(work, 'two'), books.slice(0, 2), datasets), path.join(work, 'two-index'), book, edits);
  const all = await editTimes(await corpusOf(path.join(work, 'all'), books, datasets), path.join(work, 'all-index'), book, edits);
  const full = all.first;
  const e2 = median(two.seconds);
  const e12 = median(all.seconds);
  process.stdout.write(
    `\nOne-paragraph edit of ${book}, each build the CLI's own process (median of ${edits}):\n` +
      `| index | passages | full build s | edit s (each) | edit / full 12-book build |\n| --- | --- | --- | --- | --- |\n` +
      `| 2 books | ${two.passages} | ${f2(two.first)} | ${f2(e2)} (${two.seconds.map(f2).join(', ')}) | ${(e2 / full).toFixed(3)} |\n` +
      `| ${books.length} books | ${all.passages} | ${f2(full)} | ${f2(e12)} (${all.seconds.map(f2).join(', ')}) | ${(e12 / full).toFixed(3)} |\n` +
      `the ${books.length}-book edit / the 2-book edit: ${(e12 / e2).toFixed(2)}×\n`,
  );
  await liveChanges(path.join(work, 'all'), path.join(work, 'all-index'), book);
}

runIfMain(
  import.meta.url,
  new Command('bench-edit')
    .description('what a one-paragraph edit costs on a small and a larger index, and how fast a change is searchable on a live server')
    .option('--shared <dir>', 'the shared material (eval lists, datasets)', '../shared')
    .option('--edits <n>', 'edits timed on each index', '3')
    .option('--live-only', 'only the live changes, on the index an earlier run left')
    .option('--scale-mb <mb>', 'instead: the large index of the smallest books within this many MB, its server and live changes')
    .option('--words <n>', 'with --scale-mb: the passage size that makes it large (default 40)')
    .option('--keep', 'with --scale-mb: start from the index an earlier run left (its vectors reused)')
    .action(runBenchEdit),
);
