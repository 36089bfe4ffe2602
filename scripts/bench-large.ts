// The memory of reading large ordinary documents (issue 24): a 30 MB text of prose written as plain text, Markdown,
// HTML and Word, and a 10 MB one as PDF (some 4,000 pages), each read by the build's extract step (the reader pool)
// and cut by its chunk step (token counts from the embedded model's tokenizer, which is loaded as a build loads it),
// each in a process of its own whose peak RSS is its own. Embedding is left out: its memory is bounded separately.
// Run by `npm run bench:hostile -- --large`, or alone: `tsx scripts/bench-large.ts [--measure <folder>]`.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { chunkDocument, normalizeSpace } from '../src/ingest/chunking.js';
import { readCorpus } from '../src/ingest/corpus.js';
import { extractCorpus } from '../src/ingest/extract.js';
import { createEmbedder } from '../src/model/transformers-embedder.js';
import { docxBytes, pdfBytes, writeFiles } from './documents.js';
import { prose } from './hostile-documents.js';
import { ROOT, runIfMain } from './processes.js';

const HERE = fileURLToPath(import.meta.url);

/** One document of about `mb` MB of prose in a format, as a file name and its bytes. */
async function documentOf(ext: string, mb: number): Promise<[string, string | Buffer]> {
  const paragraphs = prose(mb * 1e6, 11);
  const wrap = (p: string) => p.replace(/(.{1,72})(?: |$)/g, '$1\n').trim();
  if (ext === 'txt') return ['book.txt', paragraphs.join('\n\n')];
  if (ext === 'md') return ['book.md', paragraphs.map((p, i) => (i % 20 ? '' : `## Part ${i}\n\n`) + wrap(p.replace(/ (\w+) (\w+) /, ' *$1* [$2](https://example.org/$2) '))).join('\n\n')];
  if (ext === 'html') return ['book.html', `<!doctype html><html><head><title>Book</title></head><body><main><article>${paragraphs.map((p, i) => (i % 20 ? '' : `<h2>Part ${i}</h2>`) + `<p>${p}</p>`).join('\n')}</article></main></body></html>`];
  if (ext === 'docx') return ['book.docx', await docxBytes(paragraphs)];
  const pages: string[][] = [[]];
  let size = 0;
  for (const p of paragraphs) {
    if (size > 2500) (pages.push([]), (size = 0));
    pages.at(-1)!.push(p);
    size += p.length;
  }
  return ['book.pdf', await pdfBytes(pages)];
}

/** In this process: the folder's one document extracted and chunked; prints a JSON line of figures. */
async function measure(dir: string): Promise<void> {
  const embedder = await createEmbedder({ model: 'use-lite', modelsDir: path.join(ROOT, 'models'), batchSize: 32, allowRemote: false });
  const counts = new Map<string, number>();
  const count = (text: string) => {
    const key = normalizeSpace(text);
    let n = counts.get(key);
    if (n === undefined) counts.set(key, (n = embedder.tokenize(key).length));
    return n;
  };
  let started = performance.now();
  const read = await extractCorpus(await readCorpus(dir), new Map());
  const extractS = (performance.now() - started) / 1000;
  started = performance.now();
  let passages = 0;
  for (const doc of read.documents) passages += chunkDocument(doc, { words: 145, overlap: 50, maxTokens: embedder.maxTokens }, count).length;
  const chunkS = (performance.now() - started) / 1000;
  const chars = read.documents.reduce((s, d) => s + d.text.length, 0);
  process.stdout.write(`${JSON.stringify({ extractS, chunkS, chars, passages, skipped: read.skipped, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  await embedder.dispose();
}

/** Writes each large document and measures it in a child process; prints a table. */
export async function measureLarge(out: NodeJS.WritableStream): Promise<void> {
  out.write('\n| document | file MB | text MB | extract s | chunk s | passages | peak RSS MB | skipped |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
  for (const [ext, mb] of [['txt', 30], ['md', 30], ['html', 30], ['docx', 30], ['pdf', 10]] as const) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'passage-search-large-'));
    try {
      const [name, bytes] = await documentOf(ext, mb);
      await writeFiles(dir, { [name]: bytes });
      const child = spawn(process.execPath, ['--import', 'tsx', HERE, '--measure', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      if (code !== 0) throw new Error(`measuring ${name} exited with ${code}`);
      const m = JSON.parse(output.trim().split('\n').at(-1)!) as { extractS: number; chunkS: number; chars: number; passages: number; skipped: { code: string }[]; peakRssMb: number };
      out.write(`| ${name} | ${(bytes.length / 1e6).toFixed(1)} | ${(m.chars / 1e6).toFixed(1)} | ${m.extractS.toFixed(1)} | ${m.chunkS.toFixed(1)} | ${m.passages} | ${m.peakRssMb} | ${m.skipped.map((s) => s.code).join(', ') || 'none'} |\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

runIfMain(
  import.meta.url,
  new Command('bench:large')
    .description('extract and chunk a large document of each format, each in its own process: time and peak RSS')
    .option('--measure <folder>', 'measure the folder given, in this process')
    .action(async (flags: { measure?: string }) => (flags.measure ? measure(flags.measure) : measureLarge(process.stdout))),
);
