// The whole build of one large ordinary document per format: 30 MB of prose as plain text, Markdown, HTML, Word and
// PDF (some 12,000 pages), each built by the real `build` command in a process of its own, its peak RSS
// measured by `/usr/bin/time -v` where there is one (and as the build reports it, process.resourceUsage, which counts
// the reader workers too). The prose's sentences are drawn from a few thousand, so embedding stays short and the
// figures are those of reading, chunking and assembling a document of that size.
// Run by `npm run bench:hostile -- --large`, or alone: `npm run bench:large [-- --only pdf --mb 30]`.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { cliArguments } from '../src/live/processes.js';
import { docxBytes, pdfBytes, writeFiles } from './documents.js';
import { drawnProse } from './hostile-documents.js';
import { ROOT, runIfMain } from './processes.js';

const TIME = '/usr/bin/time';

export interface MeasuredBuild {
  code: number | null;
  output: string;
  logs: string;
  seconds: number;
  /** Peak RSS as the build reports it, and as `time -v` measured it (NaN without /usr/bin/time). */
  reportedMb: number;
  timeMb: number;
}

/** Runs `build` with `env` in its own process (as `nobody` when `asNobody`), under `time -v` when there is one. */
export async function measuredBuild(env: NodeJS.ProcessEnv, asNobody = false): Promise<MeasuredBuild> {
  const timed = await access(TIME, constants.X_OK).then(
    () => true,
    () => false,
  );
  const command = [process.execPath, ...cliArguments(), 'build'];
  const [file, ...args] = timed ? [TIME, '-v', ...command] : command;
  const started = performance.now();
  const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], ...(asNobody ? { uid: 65534, gid: 65534 } : {}) });
  let output = '';
  let logs = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (logs += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const timeKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(logs)?.[1]);
  return {
    code,
    output,
    logs,
    seconds: (performance.now() - started) / 1000,
    reportedMb: Number(/peak RSS (\d+) MB/.exec(output)?.[1]),
    timeMb: Math.round(timeKb / 1024),
  };
}

/** The build's step times, from its `Steps:` line: step → seconds. */
export function stepsOf(output: string): Record<string, number> {
  const line = output.split('\n').find((l) => l.startsWith('Steps:')) ?? '';
  return Object.fromEntries([...line.matchAll(/(\w+) ([\d.]+) s/g)].map((m) => [m[1], Number(m[2])]));
}

/** One document of about `mb` MB of prose in a format, as a file name and its bytes. */
async function documentOf(ext: string, mb: number): Promise<[string, string | Buffer]> {
  const paragraphs = drawnProse(mb * 1024 * 1024, 3000, 11);
  const wrap = (p: string) => p.replace(/(.{1,72})(?: |$)/g, '$1\n').trim();
  if (ext === 'txt') return ['book.txt', paragraphs.join('\n\n')];
  if (ext === 'md')
    return [
      'book.md',
      paragraphs.map((p, i) => (i % 20 ? '' : `## Part ${i}\n\n`) + wrap(p.replace(/ (\w+) (\w+) /, ' *$1* [$2](https://example.org/$2) '))).join('\n\n'),
    ];
  if (ext === 'html')
    return [
      'book.html',
      `<!doctype html><html><head><title>Book</title></head><body><main><article>${paragraphs.map((p, i) => `${i % 20 ? '' : `<h2>Part ${i}</h2>`}<p>${p}</p>`).join('\n')}</article></main></body></html>`,
    ];
  if (ext === 'docx') return ['book.docx', await docxBytes(paragraphs)];
  const pages: string[][] = [[]];
  let size = 0;
  for (const p of paragraphs) {
    if (size > 2500) pages.push([]), (size = 0);
    pages.at(-1)!.push(p);
    size += p.length;
  }
  return ['book.pdf', await pdfBytes(pages)];
}

/** The documents built: format → MB of text. */
const SIZES: Record<string, number> = { txt: 30, md: 30, html: 30, docx: 30, pdf: 30 };

/**
 * Builds one large document of each format (`only` those formats, `mb` MB of text each when given), each in a folder
 * and a process of its own; prints a table.
 */
export async function measureLarge(out: NodeJS.WritableStream, only = Object.keys(SIZES), mb?: number): Promise<void> {
  out.write('\n| document | text MB | file MB | build s | extract s | chunk s | assemble s | passages | peak RSS MB (time -v / reported) | skipped |\n');
  out.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
  for (const [ext, size] of Object.entries(SIZES).filter(([e]) => only.includes(e))) {
    const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-large-'));
    try {
      const [name, bytes] = await documentOf(ext, mb ?? size);
      await writeFiles(path.join(work, 'corpus'), { [name]: bytes });
      const env = {
        ...process.env,
        CORPUS_DIR: path.join(work, 'corpus'),
        INDEX_DIR: path.join(work, 'index'),
        MODELS_DIR: path.join(ROOT, 'models'),
        LOG_LEVEL: 'warn',
      };
      const build = await measuredBuild(env);
      if (build.code !== 0) throw new Error(`building ${name} exited with ${build.code}: ${build.output.slice(-2000)}${build.logs.slice(-2000)}`);
      const steps = stepsOf(build.output);
      const passages = /: (\d+) passages/.exec(build.output)?.[1] ?? '?';
      const skipped = /Skipped \d+ file\(s\):\n {2}.* — (.*)/.exec(build.output)?.[1] ?? 'none';
      out.write(
        `| ${name} | ${mb ?? size} | ${(bytes.length / 1024 / 1024).toFixed(1)} | ${build.seconds.toFixed(0)} | ${steps.extract?.toFixed(1)} | ${steps.chunk?.toFixed(1)} | ` +
          `${steps.assemble?.toFixed(1)} | ${passages} | ${build.timeMb || '–'} / ${build.reportedMb} | ${skipped} |\n`,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

runIfMain(
  import.meta.url,
  new Command('bench:large')
    .description('the whole build of one large document of each format, each in its own process: time and peak RSS')
    .option('--only <formats>', 'the formats to build, comma-separated (txt,md,html,docx,pdf)')
    .option('--mb <n>', 'MB of text in each document (30 when not given)', Number)
    .action(async (flags: { only?: string; mb?: number }) => measureLarge(process.stdout, flags.only?.split(','), flags.mb)),
);
