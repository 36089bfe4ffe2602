// Reads the corpus folder: every .txt and .md file below it once, by real path, in a stable order, with content hashes.
import { createHash } from 'node:crypto';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { isBinary, readRegularFile } from './files.js';

export const CORPUS_EXTENSIONS = ['.txt', '.md'];

export interface CorpusDocument {
  /** Path relative to the corpus folder, with forward slashes: the `source` of every hit. */
  source: string;
  text: string;
  sha256: string;
}

export interface Corpus {
  documents: CorpusDocument[];
  /** Files left out, and why: unreadable, binary, a link leading outside the corpus folder or to nothing. */
  skipped?: { source: string; reason: string }[];
  /** Hash over every document's source and content: equal hashes, equal corpora. */
  hash: string;
}

const inside = (root: string, target: string) => target === root || target.startsWith(root + path.sep);

/**
 * The real paths of the documents below `root` (a real path), sorted. The walk goes by real path: each directory and
 * each file is visited once however many links lead to it, so links that point back up or at each other neither
 * loop nor repeat a file. Links leading outside the corpus folder, and links to nothing, are skipped with a reason.
 */
async function listFiles(root: string, skipped: { source: string; reason: string }[]): Promise<string[]> {
  const dirs = new Set<string>();
  const files = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const listed = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      // A folder removed while the walk runs is skipped like a file removed while it is read.
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
      skipped.push({ source: relative(root, dir), reason: 'removed while being read' });
      return [];
    });
    const entries = listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const real = entry.isSymbolicLink() ? await realpath(full).catch(() => null) : full;
      if (!real || !inside(root, real)) {
        skipped.push({ source: relative(root, full), reason: real ? 'a link leading outside the corpus folder' : 'a link to nothing' });
        continue;
      }
      const info = entry.isSymbolicLink() ? await stat(real).catch(() => null) : entry;
      if (!info) continue;
      if (info.isDirectory()) await visit(real);
      else if (info.isFile() && CORPUS_EXTENSIONS.includes(path.extname(real).toLowerCase())) files.add(real);
    }
  };
  await visit(root);
  return [...files].sort();
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
  const files = await listFiles(root, skipped);
  const documents: CorpusDocument[] = [];
  for (const file of files) {
    const source = relative(root, file);
    const read = await readRegularFile(file);
    if ('skipped' in read) {
      skipped.push({ source, reason: read.skipped });
      continue;
    }
    const raw = read.bytes;
    if (isBinary(raw)) {
      skipped.push({ source, reason: 'binary (NUL bytes, control characters or bytes that are not UTF-8)' });
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
