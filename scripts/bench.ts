// `bench`: measured figures printed with the baseline they are compared to, measured in the same run.
// The rebuild benchmark: a full build of several books, a no-op rebuild, and a rebuild after a one-paragraph edit,
// each run end to end as the `build` command (process start included); the embedding throughput against raw
// onnxruntime-node (bench-search.ts); then a large corpus built, served and loaded (bench-scale.ts).
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { benchScale } from './bench-scale.js';
import { ROOT, runIfMain, timedBuild, type TimedBuild } from './processes.js';
import { embeddingThroughput, sampleSentences } from './bench-search.js';
import { configFrom, embedderFor, type Flags } from '../src/commands/shared.js';

/** The books of the folder, smallest first, so a benchmark's length is predictable. */
export async function booksBySize(dir: string): Promise<{ file: string; size: number }[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.txt'));
  const sized = await Promise.all(files.map(async (f) => ({ file: path.join(dir, f), size: (await stat(path.join(dir, f))).size })));
  return sized.sort((a, b) => a.size - b.size || a.file.localeCompare(b.file));
}

/** The smallest books that together stay within `megabytes`. */
export function upTo(books: { file: string; size: number }[], megabytes: number): string[] {
  let total = 0;
  return books.filter((b) => (total += b.size) <= megabytes * 1e6).map((b) => b.file);
}

/** Rewrites one mid-book paragraph of `file`, as a user editing a document would. */
async function editOneParagraph(file: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const paragraphs = text.split(/\n\s*\n/);
  const at = paragraphs.findIndex((p, i) => i > paragraphs.length / 2 && p.split(/\s+/).length > 40);
  paragraphs[at] = `${paragraphs[at]} This sentence was added by an edit.`;
  await writeFile(file, paragraphs.join('\n\n'));
}

const figure = (name: string, t: TimedBuild) => {
  const m = t.output.match(/(\d+) embedded, (\d+) reused/);
  return { name, seconds: Number(t.seconds.toFixed(2)), embedded: m ? Number(m[1]) : 0, reused: m ? Number(m[2]) : 0 };
};

export async function runBench(flags: Flags & { quick?: boolean; books?: string; datasets?: string; scaleMb?: string; loadSeconds?: string }): Promise<void> {
  const { quick, books, datasets, scaleMb, loadSeconds, ...rest } = flags;
  const config = configFrom(rest);
  const bookCount = Number(books ?? (quick ? 2 : 10));
  const source = path.resolve(String(datasets ?? path.join(ROOT, '..', 'shared', 'datasets', 'gutenberg')));
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-bench-'));
  const out = process.stdout;
  try {
    const corpus = path.join(work, 'corpus');
    await mkdir(corpus);
    const library = await booksBySize(source);
    const picked = library.slice(0, bookCount).map((b) => b.file);
    for (const f of picked) await copyFile(f, path.join(corpus, path.basename(f)));
    const bytes = (await Promise.all(picked.map((f) => stat(f)))).reduce((s, x) => s + x.size, 0);
    const env = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: path.join(work, 'index'), MODELS_DIR: path.resolve(config.MODELS_DIR) };

    out.write(`Rebuild benchmark: ${picked.length} books, ${(bytes / 1e6).toFixed(2)} MB, each step a separate \`build\` process\n`);
    const full = figure('full build', await timedBuild(env));
    const noop = figure('no-op rebuild', await timedBuild(env));
    await editOneParagraph(path.join(corpus, path.basename(picked[Math.floor(picked.length / 2)])));
    const edit = figure('one-paragraph edit', await timedBuild(env));
    const rows = [full, noop, edit];
    out.write('\n| step | seconds | ratio to full build | texts embedded | texts reused |\n| --- | --- | --- | --- | --- |\n');
    for (const r of rows) {
      out.write(`| ${r.name} | ${r.seconds.toFixed(2)} | ${(r.seconds / full.seconds).toFixed(3)} | ${r.embedded} | ${r.reused} |\n`);
    }

    // Embedding throughput, on sentences of the largest of those books.
    const embedder = await embedderFor(config);
    const modelDir = path.resolve(config.MODELS_DIR, config.EMBED_MODEL);
    const texts = await sampleSentences(picked[picked.length - 1], quick ? 256 : 2048);
    const embedding = await embeddingThroughput(embedder, modelDir, texts, config.EMBED_BATCH_SIZE);
    await embedder.dispose();
    out.write(`\nEmbedding ${embedding.texts} sentences, batches of ${config.EMBED_BATCH_SIZE}:\n\n| path | texts/s |\n| --- | --- |\n`);
    out.write(`| onnxruntime-node directly, batches tokenized in advance (baseline) | ${embedding.rawPerS} |\n`);
    out.write(`| the build's embedding stage (token ids kept from chunking) | ${embedding.buildPerS} (${embedding.embedRatio} of the baseline) |\n`);
    out.write(`| the embedder given plain text (tokenizing included) | ${embedding.textPerS} (${embedding.textRatio} of the baseline) |\n`);

    // A large corpus: build, server memory and load, HNSW recall and the latency split over it.
    const scaleBooks = quick ? picked.slice(0, 2) : upTo(library, Number(scaleMb ?? 20));
    const scale = await benchScale({ config, books: scaleBooks, work, seconds: Number(loadSeconds ?? (quick ? 2 : 20)), levels: [1, 8, 32], out });

    out.write(
      `${JSON.stringify({
        embedRatio: embedding.embedRatio,
        embedPerS: embedding.buildPerS,
        textEmbedRatio: embedding.textRatio,
        rawEmbedPerS: embedding.rawPerS,
        books: picked.length,
        megabytes: Number((bytes / 1e6).toFixed(2)),
        fullBuildS: full.seconds,
        noopRebuildS: noop.seconds,
        editRebuildS: edit.seconds,
        noopRatio: Number((noop.seconds / full.seconds).toFixed(4)),
        editRatio: Number((edit.seconds / full.seconds).toFixed(4)),
        editEmbedded: edit.embedded,
        scale,
      })}\n`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

runIfMain(
  import.meta.url,
  new Command('bench')
    .description('benchmarks with their baselines: rebuilds, embedding throughput, a large corpus built, served and loaded')
    .option('--quick', 'a small run (2 books, 2 s load levels) for a smoke test')
    .option('--books <n>', 'how many of the smallest books to use (default 10)')
    .option('--datasets <dir>', 'folder of .txt books (default ../shared/datasets/gutenberg)')
    .option('--scale-mb <mb>', 'size of the large corpus: the smallest books that fit (default 20)')
    .option('--load-seconds <s>', 'length of each load level (default 20)')
    .option('--models-dir <dir>', 'where models are kept (MODELS_DIR)')
    .action(async (flags) => runBench(flags)),
);
