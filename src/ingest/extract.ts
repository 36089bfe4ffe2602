// Files → documents: each file read by the reader of its format, in the reader pool's workers (reader-pool.ts), so
// that a file past a limit of size, pages, nesting, time or memory is skipped with its reason while the rest are
// read. A file the previous build read, unchanged (the same bytes, format and reader version), takes that build's
// text instead of being read again. A document's hash is of the bytes its text was read from: a file that changed
// after the walk hashed it is read again, and one that keeps changing is left for the next build.
import { corpusOf, type Corpus, type CorpusFile } from './corpus.js';
import type { ExtractedDocument, ExtractedText } from './document.js';
import { readRegularFile, sha256Of, type FileRead, type Skipped } from './files.js';
import { DEFAULT_LIMITS, type ExtractLimits } from './limits.js';
import { readDocument, type Extraction } from './reader.js';
import { readerPool, type ReaderPool } from './reader-pool.js';

export { withFurniture, type Extraction } from './reader.js';

/** The bytes a file's text is to be read from, and their hash; or why it has none. */
export type SteadyRead = { bytes: Buffer; sha256: string } | { skipped: string; code: Skipped['code'] };

const CHANGED = { skipped: 'changed while being read (left for the next build)', code: 'changed' } as const;

/**
 * A file's bytes, hashed as read. When they are not the bytes the walk hashed, the file changed since: it is read
 * again, and taken when the second read gives the walk's bytes or the first's; a file that differs all three times
 * is still being written, and left for the next build (`changed`). `read` is the file reader (tests give their own).
 */
export async function readSteadily(file: CorpusFile, read: (path: string) => Promise<FileRead> = readRegularFile): Promise<SteadyRead> {
  if (file.bytes) return { bytes: file.bytes, sha256: sha256Of(file.bytes) };
  const first = await read(file.path!);
  if ('skipped' in first || first.sha256 === file.sha256) return first;
  const second = await read(file.path!);
  if ('skipped' in second || second.sha256 === file.sha256 || second.sha256 === first.sha256) return second;
  return CHANGED;
}

/**
 * Reads one file by its format, in this thread, within the readers' own limits (inflated size, pages, nesting; not
 * time or memory, which the pool of extractCorpus adds), furniture marked. Never throws for the file's content.
 */
export async function extractFile(file: CorpusFile, limits: ExtractLimits = DEFAULT_LIMITS): Promise<Extraction> {
  const read = await readSteadily(file);
  return 'skipped' in read ? read : readDocument(read.bytes, file.format, limits);
}

/**
 * Reads one file as extractCorpus does, in a worker of its own under every limit (time and memory too): for a file
 * that comes alone, such as a document put over the API. Never throws for the file's content.
 */
export async function extractAlone(file: CorpusFile, limits: ExtractLimits = DEFAULT_LIMITS): Promise<Extraction> {
  const read = await readSteadily(file);
  if ('skipped' in read) return read;
  const pool = readerPool({ ...limits, workers: 1 });
  try {
    return await pool.read(read.bytes, file.format);
  } finally {
    await pool.close();
  }
}

/** The key under which a build finds the document a previous build read from the same bytes. */
export const reuseKey = (d: { format: string; sha256: string }) => `${d.format}:${d.sha256}`;

export interface ExtractedCorpus {
  documents: ExtractedDocument[];
  /** The walk's skipped files and the files that gave no text. */
  skipped: Skipped[];
  /** Files read by this build, and files whose text came from the previous one. */
  extracted: number;
  reused: number;
  /**
   * The files whose bytes were not the walk's when read: the hash of the bytes read, or null for a file that kept
   * changing and was left for the next build (skipped as `changed`). asRead applies it to the corpus.
   */
  reread: Map<string, string | null>;
}

/** One file's outcome: its text (from the previous build or read now) under the hash of its bytes, or a skip. */
type Outcome = { got: Extraction; sha256: string; reused: boolean };

async function extractOne(file: CorpusFile, previous: Map<string, ExtractedDocument>, pool: ReaderPool): Promise<Outcome> {
  const known = previous.get(reuseKey(file));
  if (known) return { got: known, sha256: file.sha256, reused: true };
  const read = await readSteadily(file);
  if ('skipped' in read) return { got: read, sha256: file.sha256, reused: false };
  return { got: await pool.read(read.bytes, file.format), sha256: read.sha256, reused: false };
}

/**
 * The documents of a corpus, in its order: each file's text from `previous` (by reuseKey) when there, else read in
 * the reader pool, `limits.workers` at a time. `signal` stops the work (the files being read are abandoned), throwing
 * its reason. A document carries the hash of the bytes its text was read from; `reread` names the files that changed
 * since the walk, so the build can record the corpus it indexed (asRead) and read a file restored afterwards again.
 */
export async function extractCorpus(
  corpus: Corpus,
  previous: Map<string, ExtractedDocument>,
  signal?: AbortSignal,
  limits: ExtractLimits = DEFAULT_LIMITS,
): Promise<ExtractedCorpus> {
  const outcomes: Outcome[] = new Array(corpus.files.length);
  const pool = readerPool(limits);
  const stop = () => void pool.close();
  signal?.addEventListener('abort', stop);
  try {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < corpus.files.length; i = next++) {
        signal?.throwIfAborted();
        outcomes[i] = await extractOne(corpus.files[i], previous, pool);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, limits.workers) }, lane));
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', stop);
    await pool.close();
  }
  return collect(corpus, outcomes);
}

/** Skips whose bytes say nothing about the file's next build: gone, or never read whole. */
const UNSETTLED = new Set<Skipped['code']>(['removed', 'changed']);

/** The documents and skips of the outcomes, and the files read from other bytes than the walk hashed. */
function collect(corpus: Corpus, outcomes: Outcome[]): ExtractedCorpus {
  const documents: ExtractedDocument[] = [];
  const skipped = [...corpus.skipped];
  const reread = new Map<string, string | null>();
  corpus.files.forEach((file, i) => {
    const { got, sha256 } = outcomes[i];
    // A skip keeps the hash of the bytes that gave it, so a later build does not read the same bytes again.
    const hashed = 'code' in got && UNSETTLED.has(got.code) ? {} : { sha256 };
    if ('skipped' in got) skipped.push({ source: file.source, code: got.code, reason: got.skipped, ...hashed });
    else if (!got.text.trim()) skipped.push({ source: file.source, code: 'empty', reason: 'no text', sha256 });
    else documents.push({ source: file.source, format: file.format, sha256, text: got.text, ...placeFields(got) });
    if ('code' in got && got.code === 'changed') reread.set(file.source, null);
    else if (sha256 !== file.sha256) reread.set(file.source, sha256);
  });
  skipped.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const reused = outcomes.filter((o) => o.reused).length;
  return { documents, skipped, extracted: outcomes.length - reused, reused, reread };
}

/**
 * The corpus as a build read it: each file under the hash of the bytes read, a file left for the next build among
 * the skipped (`changed`), and the hash over them. Equal to `corpus` when nothing changed since the walk.
 */
export function asRead(corpus: Corpus, reread: Map<string, string | null>): Corpus {
  if (!reread.size) return corpus;
  const files: CorpusFile[] = [];
  const skipped = [...corpus.skipped];
  for (const file of corpus.files) {
    const sha256 = reread.get(file.source);
    if (sha256 === null) skipped.push({ source: file.source, code: 'changed', reason: CHANGED.skipped });
    else files.push(sha256 === undefined ? file : { ...file, sha256 });
  }
  return { ...corpusOf(files, skipped), ...(corpus.dir ? { dir: corpus.dir } : {}) };
}

/** The optional fields of an extracted text, copied only when present. */
function placeFields(t: ExtractedText): Partial<ExtractedText> {
  return {
    ...(t.title ? { title: t.title } : {}),
    ...(t.pages ? { pages: t.pages } : {}),
    ...(t.sections ? { sections: t.sections } : {}),
    ...(t.omit ? { omit: t.omit } : {}),
  };
}
