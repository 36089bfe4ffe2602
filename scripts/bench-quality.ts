// `npm run bench:quality`: answer quality on the question sets, the service against a plain keyword baseline measured
// in the same run. The baseline is BM25 (the service's own tokeniser, k1 1.5, b 0.75) over fixed windows of words cut
// from each document's whole extracted text, with no model, no furniture removal and no mixing: a few dozen lines
// anyone could write. Each figure is printed with words per hit beside it, and the service's as a ratio to the
// baseline's; off-topic questions give the share the service says it has no answer to.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { configFrom, embedderFor, engineFor, type Flags } from '../src/commands/shared.js';
import { answers, evaluateOfftopic, evaluateQuestions, loadOfftopic, loadQuestions, type Question } from '../src/evaluation/questions.js';
import { readCorpus, type Corpus } from '../src/ingest/corpus.js';
import { extractCorpus } from '../src/ingest/extract.js';
import { createKeywordIndex } from '../src/index/keywords.js';
import { ROOT, runIfMain } from './processes.js';

interface Scores {
  hit1: number;
  hit3: number;
  mrr10: number;
  wordsPerHit: number;
}

/** Fixed windows of `size` words (no overlap) over each document's whole text, as the plain baseline cuts them. */
export function wordWindows(text: string, size: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(' '));
  return out;
}

/** hit@1, hit@3, MRR@10 and words per hit of the plain baseline on `questions`. */
async function baseline(corpus: Corpus, questions: Question[], size: number): Promise<Scores> {
  const { documents } = await extractCorpus(corpus, new Map());
  const texts = documents.flatMap((d) => wordWindows(d.text, size));
  const index = createKeywordIndex(texts);
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  let words = 0;
  let hits = 0;
  for (const q of questions) {
    const found = (await index.search(q.q, 10)).hits;
    const at = found.findIndex((h) => answers(texts[h.block], q.key));
    if (at === 0) hit1++;
    if (at >= 0 && at < 3) hit3++;
    if (at >= 0) mrr += 1 / (at + 1);
    for (const h of found) words += texts[h.block].split(/\s+/).filter(Boolean).length;
    hits += found.length;
  }
  const n = questions.length;
  return { hit1: hit1 / n, hit3: hit3 / n, mrr10: mrr / n, wordsPerHit: hits ? Math.round(words / hits) : 0 };
}

/** The books of `list` (one file name a line) copied from `datasets` into `dir`, which is returned. */
async function booksCorpus(list: string, datasets: string, dir: string): Promise<string> {
  const names = (await readFile(list, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  await mkdir(dir, { recursive: true });
  for (const name of names) await copyFile(path.join(datasets, name), path.join(dir, name));
  return dir;
}

const f3 = (x: number) => x.toFixed(3);
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

export async function runBenchQuality(flags: Flags): Promise<void> {
  const { shared: sharedFlag, window: windowFlag, ...rest } = flags;
  const shared = path.resolve(ROOT, String(sharedFlag ?? '../shared'));
  const size = Number(windowFlag ?? 150);
  const work = path.join(ROOT, '.cache', 'bench-quality');
  const books = await booksCorpus(path.join(shared, 'eval', 'books-corpus.txt'), path.join(shared, 'datasets', 'gutenberg'), path.join(work, 'books'));
  const sets = [
    { name: 'seed', corpus: path.join(ROOT, 'corpus'), questions: path.join(shared, 'eval', 'seed-dev-queries.json') },
    { name: 'books', corpus: books, questions: path.join(shared, 'eval', 'books-dev-queries.json') },
    { name: 'books, held out', corpus: books, questions: path.join(ROOT, 'eval', 'books-more-queries.json'), index: 'books' },
  ];
  const offtopic = await loadOfftopic(path.join(shared, 'eval', 'offtopic-dev.json'));
  const out = process.stdout;
  const rows: { set: string; n: number; service: Scores & { confidentAnswers: number; offtopicUnanswered: number }; baseline: Scores }[] = [];
  for (const set of sets) {
    const config = configFrom({ ...rest, corpusDir: set.corpus, indexDir: path.join(work, `index-${set.index ?? set.name}`) });
    const embedder = await embedderFor(config);
    try {
      const corpus = await readCorpus(set.corpus);
      const questions = await loadQuestions(set.questions);
      const { engine } = await engineFor(config, embedder, corpus);
      const report = await evaluateQuestions(engine, questions);
      const off = await evaluateOfftopic(engine, offtopic);
      const base = await baseline(corpus, questions, size);
      rows.push({ set: set.name, n: questions.length, service: { ...report, offtopicUnanswered: off.unanswered }, baseline: base });
      out.write(`${set.name} done\n`);
    } finally {
      await embedder.dispose();
    }
  }
  out.write(`\nThe service (defaults) against plain BM25 over ${size}-word windows, measured in this run.\n`);
  out.write(
    '\n| questions | ranking | hit@1 | hit@3 | MRR@10 | words per hit | confident answers | off-topic with no answer |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n',
  );
  for (const r of rows) {
    const s = r.service;
    const b = r.baseline;
    out.write(`| ${r.set} (${r.n}) | plain BM25 | ${f3(b.hit1)} | ${f3(b.hit3)} | ${f3(b.mrr10)} | ${b.wordsPerHit} | | |\n`);
    out.write(
      `| | the service | ${f3(s.hit1)} | ${f3(s.hit3)} | ${f3(s.mrr10)} | ${s.wordsPerHit} | ${(s.confidentAnswers * 100).toFixed(0)} % | ${(s.offtopicUnanswered * 100).toFixed(0)} % of ${offtopic.length} |\n`,
    );
    out.write(`| | ratio | ${ratio(s.hit1, b.hit1)} | ${ratio(s.hit3, b.hit3)} | ${ratio(s.mrr10, b.mrr10)} | ${ratio(s.wordsPerHit, b.wordsPerHit)} | | |\n`);
  }
  out.write(`${JSON.stringify(rows.map((r) => ({ ...r, service: { ...r.service, ranks: undefined, misses: undefined } })))}\n`);
}

runIfMain(
  import.meta.url,
  new Command('bench:quality')
    .description('answer quality on the seed and book questions against plain BM25 over fixed word windows, in the same run')
    .option('--shared <dir>', 'the shared folder with corpus/, eval/ and datasets/ (default ../shared)')
    .option('--window <words>', "the baseline's window in words (default 150)")
    .action(async (flags) => runBenchQuality(flags)),
);
