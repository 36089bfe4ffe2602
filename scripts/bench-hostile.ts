// `npm run bench:hostile`: the hostile corpus, every kind of file that once stopped a build, in one folder with a few
// ordinary documents, built by the real `build` command in its own process. Prints each hostile file with what the
// build did with it (its skip code, or indexed), each ordinary document indexed, and the build's peak RSS: as the
// build reports it (process.resourceUsage, worker threads included) and as `/usr/bin/time -v` measures the process.
// Run as root, the build runs as `nobody` so that the folder it may not read is really unreadable. `--large` then
// builds one large ordinary document of each format, each in a process of its own (bench-large.ts).
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createFilesStore } from '../src/index/files/files-store.js';
import { docxBytes, pdfBytes, webPage, writeFiles } from './documents.js';
import { docxBomb, drawnProse, pdfPageTreeBomb, pdfStreamBomb, pdfXObjectBomb, prose, slowInputs } from './hostile-documents.js';
import { measuredBuild, measureLarge } from './bench-large.js';
import { ROOT, runIfMain } from './processes.js';

const MB = 1024 * 1024;

/** A log of `bytes` bytes, one line an event and no blank line. */
function log(bytes: number): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `INFO worker ${i % 7} served /orchard/${['apples', 'pears', 'plums', 'figs', 'quinces'][i % 5]} in ${10 + (i % 13)} ms.`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/** The hostile files: name → [what it is, what the build should do now, the bytes]. */
async function hostileFiles(): Promise<Record<string, [string, string, () => string | Buffer]>> {
  return {
    'hostile/log-8mb.txt': ['an 8 MB log, no blank line', 'indexed', () => log(8 * MB)],
    'hostile/paragraph-16mb.txt': ['a 16 MB single paragraph', 'indexed', () => drawnProse(16 * MB, 400, 3).join(' ')],
    'hostile/prose-30mb.md': [
      '30 MB of Markdown prose',
      'indexed',
      () =>
        drawnProse(30 * MB, 3000, 5)
          .map((p, i) => (i % 40 ? p : `## Part ${i}\n\n${p}`))
          .join('\n\n'),
    ],
    'hostile/bomb.docx': ['document.xml inflating to 150 MB', 'too-large', () => docxBomb(150 * MB)],
    'hostile/xobjects.pdf': ['form XObjects 10× per level, 7 levels', 'timeout', () => pdfXObjectBomb(7, 10)],
    'hostile/page-tree.pdf': ['a page tree of 10^6 pages', 'too-complex', () => pdfPageTreeBomb(6, 10)],
    'hostile/stream.pdf': ['a content stream inflating to 500 MB', 'too-large', () => pdfStreamBomb(500 * MB)],
    'hostile/nested-div.html': ['100k nested <div>', 'too-complex', () => slowInputs.nestedDivs(100_000)],
    'hostile/nested-b.html': ['100k nested <b>', 'too-complex', () => slowInputs.nestedBold(100_000)],
    'hostile/open-titles.html': ['<title x ×160k', 'indexed', () => slowInputs.openTitles(160_000)],
    'hostile/brackets.md': ['300 KB of Markdown ]', 'timeout', () => slowInputs.brackets(300_000)],
    'hostile/quotes.md': ['100k >', 'too-complex', () => slowInputs.quotes(100_000)],
    'hostile/deep-list.md': ['a 1,000-level list', 'too-complex', () => slowInputs.deepList(1000)],
    'hostile/mr.txt': ['Mr. ×75k', 'indexed', () => slowInputs.titles(75_000)],
    'hostile/dots.txt': ['a contents line of 300k dots', 'indexed', () => slowInputs.dots(300_000)],
    'hostile/locked/inside.txt': ['a folder the build may not read', 'unreadable', () => 'Never read.'],
  };
}

/** A few ordinary documents, one of each format. */
async function ordinaryFiles(): Promise<Record<string, string | Buffer>> {
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((seed) => prose(3000, seed));
  return {
    'ordinary/notes.txt': a.join('\n\n'),
    'ordinary/guide.md': `# Orchard guide\n\n${b.join('\n\n')}\n`,
    'ordinary/page.html': webPage('Orchard page', c.map((p) => `<p>${p}</p>`).join('')),
    'ordinary/report.pdf': await pdfBytes([d.slice(0, 3), d.slice(3)], { title: 'Orchard report' }),
    'ordinary/budget.docx': await docxBytes(e),
  };
}

/** The sources of the current version's documents, read from the files store. */
async function indexedSources(indexDir: string): Promise<string[]> {
  const store = createFilesStore(indexDir);
  try {
    return (await store.currentManifest())?.documents.map((d) => d.source) ?? [];
  } finally {
    await store.close();
  }
}

async function writeCorpus(corpus: string): Promise<Record<string, [string, string, () => string | Buffer]>> {
  const hostile = await hostileFiles();
  for (const [name, [, , make]] of Object.entries(hostile)) await writeFiles(corpus, { [name]: make() });
  await writeFiles(corpus, await ordinaryFiles());
  await chmod(path.join(corpus, 'hostile/locked'), 0o000);
  return hostile;
}

async function runBenchHostile(flags: { large?: boolean; keep?: boolean }): Promise<void> {
  const out = process.stdout;
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-hostile-'));
  const corpus = path.join(work, 'corpus');
  const indexDir = path.join(work, 'index');
  const asNobody = process.getuid?.() === 0;
  try {
    const hostile = await writeCorpus(corpus);
    await mkdir(indexDir);
    if (asNobody) await Promise.all([chmod(work, 0o755), chown(indexDir, 65534, 65534)]);
    out.write(`Hostile corpus written to ${corpus}; building${asNobody ? ' as nobody (this runs as root)' : ''}…\n`);
    const env = { ...process.env, CORPUS_DIR: corpus, INDEX_DIR: indexDir, MODELS_DIR: path.join(ROOT, 'models'), LOG_LEVEL: 'info' };
    const build = await measuredBuild(env, asNobody);
    if (build.code !== 0) throw new Error(`build exited with ${build.code}: ${build.output.slice(-2000)}${build.logs.slice(-2000)}`);
    const skipped = new Map<string, { code: string; reason: string }>();
    for (const line of build.logs.split('\n')) {
      if (!line.includes('"corpus.skipped"')) continue;
      const entry = JSON.parse(line) as { source: string; code: string; reason: string };
      skipped.set(entry.source, entry);
    }
    const indexed = new Set(await indexedSources(indexDir));
    const outcome = (name: string) => (indexed.has(name) ? 'indexed' : (skipped.get(name)?.code ?? skipped.get(path.dirname(name))?.code ?? 'missing'));
    out.write('\n| hostile file | what it is | expected | outcome | reason |\n| --- | --- | --- | --- | --- |\n');
    for (const [name, [what, expected]] of Object.entries(hostile)) {
      const reason = skipped.get(name)?.reason ?? skipped.get(path.dirname(name))?.reason ?? '';
      out.write(`| ${name} | ${what} | ${expected} | ${outcome(name)}${outcome(name) === expected ? '' : ' (UNEXPECTED)'} | ${reason} |\n`);
    }
    out.write('\n| ordinary file | outcome |\n| --- | --- |\n');
    for (const name of Object.keys(await ordinaryFiles())) out.write(`| ${name} | ${outcome(name)} |\n`);
    const summary = build.output.split('\n').find((l) => l.startsWith('Indexed')) ?? '';
    out.write(`\n${summary}\n${build.output.split('\n').find((l) => l.startsWith('Steps')) ?? ''}\n`);
    const peak = Math.max(build.reportedMb, build.timeMb || 0);
    const byTime = build.timeMb ? `; /usr/bin/time -v: ${build.timeMb} MB` : '';
    out.write(
      `Build: ${build.seconds.toFixed(1)} s, peak RSS ${build.reportedMb} MB as it reports${byTime} (${peak <= 2048 ? 'within' : 'OVER'} the 2 GB budget)\n`,
    );
  } finally {
    await chmod(path.join(corpus, 'hostile/locked'), 0o755).catch(() => undefined);
    if (!flags.keep) await rm(work, { recursive: true, force: true });
  }
  if (flags.large) await measureLarge(out);
}

runIfMain(
  import.meta.url,
  new Command('bench:hostile')
    .description("the hostile corpus through the real build: each file's outcome and the build's peak RSS")
    .option('--large', 'then build one large document of each format (30 MB of text), each in its own process')
    .option('--keep', 'keep the temporary folder')
    .action(async (flags) => runBenchHostile(flags)),
);
