// `npm run bench:formats`: the document readers on books. Each book's text is written in every format (plain text as
// the baseline, Markdown, HTML, PDF by pdfkit, Word by docx), then read by the build's `extract` step twice: from
// nothing, and as a rebuild with every file unchanged. Prints per format the time, MB/s and ratio to plain text, the
// share of the book's words found again in the extracted text, and the rebuild's time as a ratio to the first.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { readCorpus } from '../src/ingest/corpus.js';
import { reuseKey, extractCorpus } from '../src/ingest/extract.js';
import { booksBySize } from './bench.js';
import { docxBytes, pdfBytes, writeFiles } from './documents.js';
import { ROOT, runIfMain } from './processes.js';

const FORMATS = ['txt', 'md', 'html', 'pdf', 'docx'] as const;
type Ext = (typeof FORMATS)[number];

const escapeXml = (s: string) => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A book's body (between the Gutenberg markers), cut to about `chars`, as paragraphs of one line each. */
async function paragraphsOf(file: string, chars: number): Promise<string[]> {
  const raw = (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n');
  const start = raw.indexOf('\n', raw.indexOf('*** START OF')) + 1;
  const end = raw.indexOf('*** END OF');
  const body = raw.slice(start, end > start ? end : undefined).slice(0, chars);
  return body
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** The book in one format. */
async function render(ext: Ext, title: string, paragraphs: string[]): Promise<string | Buffer> {
  if (ext === 'txt') return paragraphs.join('\n\n');
  if (ext === 'md') return `---\ntitle: "${title}"\n---\n\n${paragraphs.join('\n\n')}\n`;
  if (ext === 'html')
    return `<!doctype html><html><head><title>${escapeXml(title)}</title></head><body><nav><a href="/">Library</a></nav><main><article>${paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join('\n')}</article></main><footer>Project Gutenberg</footer></body></html>`;
  if (ext === 'pdf') {
    // About 2,500 characters a page, as a printed book has.
    const pages: string[][] = [[]];
    let size = 0;
    for (const p of paragraphs) {
      if (size > 2500) pages.push([]), (size = 0);
      pages.at(-1)!.push(p);
      size += p.length;
    }
    return pdfBytes(pages, { title });
  }
  return docxBytes(paragraphs);
}

/** The share of `source`'s words (with repeats) that `extracted` holds. */
function wordRecall(source: string, extracted: string): number {
  const counts = new Map<string, number>();
  const words = (s: string) => s.toLowerCase().match(/\p{L}+/gu) ?? [];
  for (const w of words(extracted)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let found = 0;
  const all = words(source);
  for (const w of all) {
    const n = counts.get(w) ?? 0;
    if (n > 0) found++, counts.set(w, n - 1);
  }
  return all.length ? found / all.length : 1;
}

interface Row {
  format: Ext;
  mb: number;
  firstS: number;
  rebuildS: number;
  recall: number;
  pages?: number;
}

async function measure(ext: Ext, dir: string, books: { title: string; paragraphs: string[] }[]): Promise<Row> {
  const files: Record<string, string | Buffer> = {};
  for (const [i, b] of books.entries()) files[`book-${i}.${ext}`] = await render(ext, b.title, b.paragraphs);
  await writeFiles(dir, files);
  const corpus = await readCorpus(dir);
  let t = performance.now();
  const first = await extractCorpus(corpus, new Map());
  const firstS = (performance.now() - t) / 1000;
  if (first.skipped.length) throw new Error(`${ext}: ${first.skipped.map((s) => `${s.source} ${s.reason}`).join('; ')}`);
  const previous = new Map(first.documents.map((d) => [reuseKey(d), d]));
  t = performance.now();
  const again = await extractCorpus(corpus, previous);
  const rebuildS = (performance.now() - t) / 1000;
  if (again.extracted !== 0) throw new Error(`${ext}: the rebuild read ${again.extracted} file(s) again`);
  const source = books.map((b) => b.paragraphs.join('\n')).join('\n');
  const text = first.documents.map((d) => d.text).join('\n');
  const mb = books.reduce((s, b) => s + b.paragraphs.join('\n\n').length, 0) / 1e6;
  return {
    format: ext,
    mb,
    firstS,
    rebuildS,
    recall: wordRecall(source, text),
    ...(ext === 'pdf' ? { pages: first.documents.reduce((s, d) => s + (d.pages?.length ?? 0), 0) } : {}),
  };
}

async function runBenchFormats(flags: { books?: string; chars?: string; datasets?: string }): Promise<void> {
  const library = await booksBySize(path.resolve(flags.datasets ?? path.join(ROOT, '..', 'shared', 'datasets', 'gutenberg')));
  const picked = library.slice(-Number(flags.books ?? 4));
  const books = await Promise.all(
    picked.map(async (b) => ({ title: path.basename(b.file, '.txt'), paragraphs: await paragraphsOf(b.file, Number(flags.chars ?? 400_000)) })),
  );
  const work = await mkdtemp(path.join(os.tmpdir(), 'passage-search-formats-'));
  const out = process.stdout;
  try {
    const rows: Row[] = [];
    for (const ext of FORMATS) {
      const dir = path.join(work, ext);
      await mkdir(dir);
      rows.push(await measure(ext, dir, books));
      out.write(`${ext} done\n`);
    }
    const base = rows[0];
    out.write(
      '\n| format | MB of text | read s | MB/s | ratio to plain text | words found | unchanged rebuild s | rebuild / first |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    for (const r of rows) {
      out.write(
        `| ${r.format}${r.pages ? ` (${r.pages} pages)` : ''} | ${r.mb.toFixed(2)} | ${r.firstS.toFixed(3)} | ${(r.mb / r.firstS).toFixed(1)} | ${(r.firstS / base.firstS).toFixed(1)} | ${(r.recall * 100).toFixed(2)} % | ${r.rebuildS.toFixed(4)} | ${(r.rebuildS / r.firstS).toFixed(4)} |\n`,
      );
    }
    out.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

runIfMain(
  import.meta.url,
  new Command('bench:formats')
    .description('the document readers on books written in every format: speed, words found again, unchanged rebuilds')
    .option('--books <n>', 'how many of the largest books (default 4)')
    .option('--chars <n>', 'characters of each book (default 400000)')
    .option('--datasets <dir>', 'folder of .txt books (default ../shared/datasets/gutenberg)')
    .action(async (flags) => runBenchFormats(flags)),
);
