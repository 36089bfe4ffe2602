// Reads the corpus folder: every .txt and .md file below it, in a stable order, with content hashes.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors.js';

export const CORPUS_EXTENSIONS = ['.txt', '.md'];

export interface CorpusDocument {
  /** Path relative to the corpus folder, with forward slashes: the `source` of every hit. */
  source: string;
  text: string;
  sha256: string;
}

export interface Corpus {
  documents: CorpusDocument[];
  /** Hash over every document's source and content: equal hashes, equal corpora. */
  hash: string;
}

async function listFiles(dir: string, root: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full, root)));
    else if (entry.isFile() && CORPUS_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) files.push(full);
  }
  return files;
}

/** Reads every document of the corpus folder. Throws CORPUS_MISSING or CORPUS_EMPTY. */
export async function readCorpus(dir: string): Promise<Corpus> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('CORPUS_MISSING', root);
  const files = (await listFiles(root, root)).sort();
  const documents: CorpusDocument[] = [];
  for (const file of files) {
    const text = (await readFile(file, 'utf8')).replace(/\r\n?/g, '\n');
    if (!text.trim()) continue;
    const source = path.relative(root, file).split(path.sep).join('/');
    documents.push({ source, text, sha256: createHash('sha256').update(text).digest('hex') });
  }
  if (documents.length === 0) throw new AppError('CORPUS_EMPTY', root);
  const hash = createHash('sha256');
  for (const d of documents) hash.update(`${d.source}\0${d.sha256}\n`);
  return { documents, hash: hash.digest('hex') };
}
