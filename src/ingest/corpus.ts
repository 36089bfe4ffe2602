// Reads the corpus folder: every file below it once, by real path, in a stable order, with content hashes; files of a
// format no reader knows are listed as skipped with their reason, never dropped without a word.
import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { DocumentFormat } from './document.js';
import { readRegularFile, sha256Of, type Skipped } from './files.js';

/** The formats read, by file extension; a file with no extension is read as plain text. */
export const FORMATS: Record<string, DocumentFormat> = {
  '': 'text',
  '.txt': 'text',
  '.text': 'text',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

/**
 * A file of the corpus as found: the hash of its bytes and the format its name says. A file of the folder keeps only
 * its path (its bytes are read again when it is extracted: a folder of large PDFs is never held in memory at once;
 * extraction hashes what it reads, and brings `sha256` up to date when the file changed after the walk);
 * a document given in code keeps its bytes.
 */
export interface CorpusFile {
  /** Path relative to the corpus folder, with forward slashes: the `source` of every hit. */
  source: string;
  format: DocumentFormat;
  /** SHA-256 of the bytes. */
  sha256: string;
  /** Where to read the bytes. */
  path?: string;
  /** Size of the bytes. */
  size?: number;
  bytes?: Buffer;
}

export interface Corpus {
  files: CorpusFile[];
  /** Files left out by the walk and why: unsupported, unreadable, too large, links leading outside or to nothing. */
  skipped: Skipped[];
  /** Hash over every file's source, format and content, and every skipped file: equal hashes, equal corpora. */
  hash: string;
  /** The folder it was read from, for messages; absent for documents given in code. */
  dir?: string;
}

/** CORPUS_EMPTY for the folder `dir`, naming the files skipped and why (the first twenty). */
export function corpusEmpty(dir: string, skipped: Skipped[]): AppError {
  const named = skipped
    .slice(0, 20)
    .map((s) => `${s.source} (${s.reason})`)
    .join('; ');
  const more = skipped.length > 20 ? `; and ${skipped.length - 20} more` : '';
  return new AppError('CORPUS_EMPTY', dir, skipped.length ? ` Skipped: ${named}${more}.` : '');
}

const inside = (root: string, target: string) => target === root || target.startsWith(root + path.sep);

/** Lists a folder's entries: `readdir` with their types (a test gives its own, to refuse a folder as root cannot). */
export type ListDir = (dir: string) => Promise<Dirent[]>;

const listDir: ListDir = (dir) => readdir(dir, { withFileTypes: true });

/** A folder the walk cannot list, skipped like a file: removed while the walk ran, or not readable. */
function folderSkip(source: string, err: NodeJS.ErrnoException): Skipped {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return { source, code: 'removed', reason: 'removed while being read' };
  return { source, code: 'unreadable', reason: `unreadable folder (${err.code ?? err.message})` };
}

/**
 * The real paths of the documents below `root` (a real path), sorted. The walk goes by real path: each directory and
 * each file is visited once however many links lead to it, so links that point back up or at each other neither
 * loop nor repeat a file. Links leading outside the corpus folder, and links to nothing, are skipped with a reason.
 */
async function listFiles(root: string, skipped: Skipped[], list: ListDir): Promise<string[]> {
  const dirs = new Set<string>();
  const files = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    if (dirs.has(dir)) return;
    dirs.add(dir);
    // A folder removed while the walk runs, or one it may not read, is skipped like such a file, never fatal.
    const listed = await list(dir).catch((err: NodeJS.ErrnoException) => {
      skipped.push(folderSkip(relative(root, dir) || '.', err));
      return [];
    });
    const entries = listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const real = entry.isSymbolicLink() ? await realpath(full).catch(() => null) : full;
      if (!real || !inside(root, real)) {
        skipped.push({ source: relative(root, full), code: 'link', reason: real ? 'a link leading outside the corpus folder' : 'a link to nothing' });
        continue;
      }
      const info = entry.isSymbolicLink() ? await stat(real).catch(() => null) : entry;
      if (!info) continue;
      if (info.isDirectory()) await visit(real);
      else if (!info.isFile()) skipped.push({ source: relative(root, full), code: 'not-a-file', reason: 'not a regular file' });
      else if (formatOf(real)) files.add(real);
      else skipped.push({ source: relative(root, full), code: 'unsupported', reason: `unsupported type (${path.extname(real).toLowerCase()})` });
    }
  };
  await visit(root);
  return [...files].sort();
}

const relative = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/** The format a file's name says it is in, or null when no reader knows it. */
export function formatOf(file: string): DocumentFormat | null {
  return FORMATS[path.extname(path.basename(file)).toLowerCase()] ?? null;
}

/**
 * The hashes of the files a process has read, by path, with what the file system said of each then. A long-lived
 * process (a server's change worker) passes the same map to each readCorpus, which then reads again only the files
 * whose inode, size, change time or modification time moved: the change time cannot be set back by any program, so a
 * file written since always reads anew.
 */
export type FileHashes = Map<string, { sha256: string; size: number; ino: number; ctimeMs: number; mtimeMs: number }>;

/** What the file system says of a file that tells whether it was written since: its inode, size and two times. */
type FileState = Pick<Stats, 'ino' | 'size' | 'ctimeMs' | 'mtimeMs'>;

const sameState = (a: FileState, b: FileState) => a.ino === b.ino && a.size === b.size && a.ctimeMs === b.ctimeMs && a.mtimeMs === b.mtimeMs;

/**
 * Keeps a file's hash with what the file system said of it before it was read, when it still says the same after:
 * a file written while it was read is read again next time.
 */
async function keepHash(hashes: FileHashes, file: string, sha256: string | null, before: Stats | null): Promise<void> {
  const after = await stat(file).catch(() => null);
  if (sha256 && before && after?.isFile() && sameState(before, after)) {
    hashes.set(file, { sha256, size: after.size, ino: after.ino, ctimeMs: after.ctimeMs, mtimeMs: after.mtimeMs });
  } else hashes.delete(file);
}

/**
 * Reads every file of the corpus folder that a reader knows; the rest (unsupported, unreadable, too large, links
 * leading out, folders it may not list) are listed in `skipped`, not fatal. Throws CORPUS_MISSING, or CORPUS_EMPTY
 * when no file can be read. `options.listDir` replaces the folder listing (tests).
 */
export async function readCorpus(dir: string, options: { listDir?: ListDir; hashes?: FileHashes } = {}): Promise<Corpus> {
  const root = await realpath(path.resolve(dir)).catch(() => path.resolve(dir));
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('CORPUS_MISSING', root);
  const skipped: Skipped[] = [];
  const files: CorpusFile[] = [];
  const hashes = options.hashes;
  const listed = await listFiles(root, skipped, options.listDir ?? listDir);
  for (const file of listed) {
    const source = relative(root, file);
    const before = hashes ? await stat(file).catch(() => null) : null;
    const kept = hashes?.get(file);
    if (kept && before?.isFile() && sameState(kept, before)) {
      files.push({ source, format: formatOf(file)!, sha256: kept.sha256, path: file, size: kept.size });
      continue;
    }
    const read = await readRegularFile(file);
    if ('skipped' in read) skipped.push({ source, code: read.code, reason: read.skipped });
    else files.push({ source, format: formatOf(file)!, sha256: read.sha256, path: file, size: read.bytes.length });
    if (hashes) await keepHash(hashes, file, 'skipped' in read ? null : read.sha256, before);
  }
  if (hashes) {
    const present = new Set(listed);
    for (const file of hashes.keys()) if (!present.has(file)) hashes.delete(file);
  }
  if (files.length === 0) throw corpusEmpty(root, skipped);
  return { ...corpusOf(files, skipped), dir: root };
}

/** A file with its content hash. */
export function fileOf(source: string, format: DocumentFormat, bytes: Buffer): CorpusFile {
  return { source, format, bytes, size: bytes.length, sha256: sha256Of(bytes) };
}

/** A plain-text document given as a string (a benchmark's, a test's), as the corpus reader would have found it. */
export function documentOf(source: string, text: string): CorpusFile {
  return fileOf(source, 'text', Buffer.from(text, 'utf8'));
}

/** A corpus of files, with the hash that changes whenever any source, format or content does, or what was skipped. */
export function corpusOf(files: CorpusFile[], skipped: Skipped[] = []): Corpus {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.source}\0${f.format}\0${f.sha256}\n`);
  for (const s of skipped) hash.update(`skipped\0${s.source}\0${s.code}\n`);
  return { files, skipped, hash: hash.digest('hex') };
}
