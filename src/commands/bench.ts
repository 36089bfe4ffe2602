// `bench`: measured figures printed with the baseline they are compared to, measured in the same run.
// The rebuild benchmark: a full build of several books, a no-op rebuild, and a rebuild after a one-paragraph edit,
// each run end to end as the `build` command (process start included); then the embedding, HNSW and query figures
// of bench-search.ts over the index it built.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchSettings } from '../config.js';
import { loadIndex } from '../index-store.js';
import { createSearchEngine } from '../search.js';
import { embeddingThroughput, hnswRecall, latencySplit, sampleSentences } from './bench-search.js';
import { configFrom, embedderFor, type Flags } from './shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Timed {
  seconds: number;
  output: string;
}

/** Runs the `build` command in its own process and times it from spawn to exit. */
function timedBuild(env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, output });
      else reject(new Error(`build exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

/** The `count` smallest books of the folder (by size), so the benchmark's length is predictable. */
async function smallestBooks(dir: string, count: number): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.txt'));
  const sized = await Promise.all(files.map(async (f) => ({ f, size: (await stat(path.join(dir, f))).size })));
  return sized.sort((a, b) => a.size - b.size || a.f.localeCompare(b.f)).slice(0, count).map((x) => path.join(dir, x.f));
}

/** Rewrites one mid-book paragraph of `file`, as a user editing a document would. */
async function editOneParagraph(file: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const paragraphs = text.split(/\n\s*\n/);
  const at = paragraphs.findIndex((p, i) => i > paragraphs.length / 2 && p.split(/\s+/).length > 40);
  paragraphs[at] = `${paragraphs[at]} This sentence was added by an edit.`;
  await writeFile(file, paragraphs.join('\n\n'));
}

const figure = (name: string, t: Timed) => {
  const m = t.output.match(/(\d+) embedded, (\d+) reused/);
  return { name, seconds: Number(t.seconds.toFixed(2)), embedded: m ? Number(m[1]) : 0, reused: m ? Number(m[2]) : 0 };
};

export async function runBench(flags: Flags & { quick?: boolean; books?: string; datasets?: string }): Promise<void> {
  const { quick, books, datasets, ...rest } = flags;
  const config = configFrom(rest);
  const bookCount = Number(books ?? (quick ? 2 : 10));
  const source = path.resolve(String(datasets ?? path.join(ROOT, '..', 'shared', 'datasets', 'gutenberg')));
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-bench-'));
  const out = process.stdout;
  try {
    const corpus = path.join(work, 'corpus');
    await mkdir(corpus);
    const picked = await smallestBooks(source, bookCount);
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

    // Embedding, HNSW and query figures over the index just built.
    const embedder = await embedderFor(config);
    const index = await loadIndex(env.INDEX_DIR, { modelId: embedder.modelId, dimension: embedder.dimension }, config.HNSW_EF_SEARCH);
    const engine = createSearchEngine(index, embedder, searchSettings(config));
    const modelDir = path.resolve(config.MODELS_DIR, config.EMBED_MODEL);
    const texts = await sampleSentences(picked[picked.length - 1], quick ? 256 : 2048);
    const embedding = await embeddingThroughput(embedder, modelDir, texts, config.EMBED_BATCH_SIZE);
    out.write(`\nEmbedding ${embedding.texts} sentences, batches of ${config.EMBED_BATCH_SIZE}:\n\n| path | texts/s |\n| --- | --- |\n`);
    out.write(`| onnxruntime-node directly, batches tokenized in advance (baseline) | ${embedding.rawPerS} |\n`);
    out.write(`| the build's embedding stage (token ids kept from chunking) | ${embedding.buildPerS} (${embedding.embedRatio} of the baseline) |\n`);
    out.write(`| the embedder given plain text (tokenizing included) | ${embedding.textPerS} (${embedding.textRatio} of the baseline) |\n`);

    const seedQuestions = (JSON.parse(await readFile(path.join(ROOT, '..', 'shared', 'eval', 'seed-dev-queries.json'), 'utf8').catch(() => '[]')) as { q: string }[]).map((x) => x.q);
    const queries = [...seedQuestions, ...(await sampleSentences(picked[0], quick ? 40 : 200))];
    const curve = await hnswRecall(engine, queries, [10, 50, 100, 200]);
    out.write(`\nHNSW recall@10 against exact search over the same ${index.passages.length} passage vectors, ${queries.length} queries:\n\n| efSearch | recall@10 | ms/query |\n| --- | --- | --- |\n`);
    for (const c of curve) out.write(`| ${c.ef}${c.ef === config.HNSW_EF_SEARCH ? ' (configured)' : ''} | ${c.recall10} | ${c.msPerQuery} |\n`);
    const split = await latencySplit(engine, queries);
    out.write(`\nSearch stages, median ms over the same queries (in process, no HTTP):\n\n| embed | vector | keyword | fusion | total |\n| --- | --- | --- | --- | --- |\n`);
    out.write(`| ${split.embedMs} | ${split.vectorMs} | ${split.lexicalMs} | ${split.fusionMs} | ${split.totalMs} |\n`);
    await embedder.dispose();
    const configured = curve.find((c) => c.ef === config.HNSW_EF_SEARCH) ?? curve[curve.length - 1];

    out.write(
      `${JSON.stringify({
        embedRatio: embedding.embedRatio,
        embedPerS: embedding.buildPerS,
        textEmbedRatio: embedding.textRatio,
        rawEmbedPerS: embedding.rawPerS,
        hnswRecall10: configured.recall10,
        queryMedianMs: split.totalMs,
        books: picked.length,
        megabytes: Number((bytes / 1e6).toFixed(2)),
        fullBuildS: full.seconds,
        noopRebuildS: noop.seconds,
        editRebuildS: edit.seconds,
        noopRatio: Number((noop.seconds / full.seconds).toFixed(4)),
        editRatio: Number((edit.seconds / full.seconds).toFixed(4)),
        editEmbedded: edit.embedded,
      })}\n`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
