// Reads the corpus folder: every .txt and .md file below it, in a stable order, with content hashes.
import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';

export const CORPUS_EXTENSIONS = ['.txt', '.md'];

export interface CorpusDocument {
  /** Path relative to the corpus folder, with forward slashes: the `source` of every hit. */
  source: string;
  text: string;
  sha256: string;
}

export interface Corpus {
  documents: CorpusDocument[];
  /** Files left out, and why: unreadable, binary, or a link leading outside the corpus folder. */
  skipped?: { source: string; reason: string }[];
  /** Hash over every document's source and content: equal hashes, equal corpora. */
  hash: string;
}

async function listFiles(dir: string, root: string, skipped: { source: string; reason: string }[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      // A link is followed only while it stays inside the corpus folder.
      const target = await realpath(full).catch(() => null);
      if (!target || !(target === root || target.startsWith(root + path.sep))) {
        skipped.push({ source: relative(root, full), reason: 'a link leading outside the corpus folder' });
        continue;
      }
      const info = await stat(target);
      isDir = info.isDirectory();
      isFile = info.isFile();
      if (isDir && (root + path.sep).startsWith(target + path.sep)) continue; // a loop back up
    }
    if (isDir) files.push(...(await listFiles(full, root, skipped)));
    else if (isFile && CORPUS_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) files.push(full);
  }
  return files;
}

const relative = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/**
 * Reads every document of the corpus folder; files it cannot use (unreadable, binary, links leading out) are listed
 * in `skipped`, not fatal. Throws CORPUS_MISSING or CORPUS_EMPTY.
 */
export async function readCorpus(dir: string): Promise<Corpus> {
  const root = await realpath(path.resolve(dir)).catch(() => path.resolve(dir));
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('CORPUS_MISSING', root);
  const skipped: { source: string; reason: string }[] = [];
  const files = (await listFiles(root, root, skipped)).sort();
  const documents: CorpusDocument[] = [];
  for (const file of files) {
    const source = relative(root, file);
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (err) {
      skipped.push({ source, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    if (raw.includes(0)) {
      skipped.push({ source, reason: 'binary (it holds NUL bytes)' });
      continue;
    }
    const text = raw.toString('utf8').replace(/\r\n?/g, '\n');
    if (text.trim()) documents.push(documentOf(source, text));
  }
  if (documents.length === 0) throw new AppError('CORPUS_EMPTY', root);
  return { ...corpusOf(documents), skipped };
}

/** A document with its content hash. */
export function documentOf(source: string, text: string): CorpusDocument {
  return { source, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** A corpus of documents, with the hash that changes whenever any source or content does. */
export function corpusOf(documents: CorpusDocument[]): Corpus {
  const hash = createHash('sha256');
  for (const d of documents) hash.update(`${d.source}\0${d.sha256}\n`);
  return { documents, hash: hash.digest('hex') };
}
