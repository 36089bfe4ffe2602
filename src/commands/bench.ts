// `bench`: measured figures printed with the baseline they are compared to, measured in the same run.
// The rebuild benchmark: a full build of several books, a no-op rebuild, and a rebuild after a one-paragraph edit,
// each run end to end as the `build` command (process start included).
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFrom, type Flags } from './shared.js';

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
    out.write(
      `${JSON.stringify({
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
