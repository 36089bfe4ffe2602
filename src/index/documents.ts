// Documents put and deleted over the API: kept by the index (not written into the corpus folder), read by the same
// readers, indexed with the index's own settings as one new version each change. Their path is their name in the
// index; a path the corpus folder already gives a document is refused, and a folder file that later takes an API
// document's path is skipped by the folder's build ('conflict').
import path from 'node:path';
import { AppError } from '../errors.js';
import { fileOf, FORMATS } from '../ingest/corpus.js';
import type { DocumentFormat } from '../ingest/document.js';
import { extractAlone } from '../ingest/extract.js';
import type { Embedder } from '../model/embedder.js';
import { lazy, noChange, stageReporter, write as writePlan, type BuildOptions, type BuildResult, type ChangeContext, type Plan } from './change.js';
import { INDEX_FORMAT, type DocumentEntry } from './manifest.js';

/** Longest document path taken. */
export const MAX_PATH_CHARS = 1024;

/** A document to put (its bytes) or to delete (none). */
export interface DocumentChange {
  source: string;
  bytes?: Buffer;
  /** The body's media type, when the client gave one; else the path's extension says. */
  contentType?: string;
}

/** Media types read, by format; anything else is judged by the path's extension. */
const MEDIA_TYPES: Record<string, DocumentFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

/**
 * The document path as the index names it, checked: relative, forward slashes, no empty, `.` or `..` segment, no
 * hidden segment (the folder's build reads none), no control character. Throws DOCUMENT_PATH_INVALID saying why.
 */
export function documentSource(raw: string): string {
  const refuse = (why: string) => new AppError('DOCUMENT_PATH_INVALID', JSON.stringify(raw.slice(0, 200)), why);
  if (!raw) throw refuse('it is empty');
  if (raw.length > MAX_PATH_CHARS) throw refuse(`it is longer than ${MAX_PATH_CHARS} characters`);
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw refuse('it holds a control character');
  if (raw.includes('\\')) throw refuse('use forward slashes');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw refuse('it must be relative to the index, not absolute');
  const segments = raw.split('/');
  if (segments.some((s) => s === '..')) throw refuse('it holds `..`');
  if (segments.some((s) => s === '' || s === '.')) throw refuse('it holds an empty or `.` segment');
  if (segments.some((s) => s.startsWith('.'))) throw refuse('a name starting with `.` is hidden, and never indexed');
  return raw;
}

/** Media types that say nothing of the format (curl's default for a body, the generic one): the extension decides. */
const UNTYPED = new Set(['application/octet-stream', 'application/x-www-form-urlencoded', 'binary/octet-stream']);

/**
 * The format a document is read in: its media type when the client gave one this program reads; the path's extension
 * when it gave none, or only a generic one. Throws DOCUMENT_UNSUPPORTED for any other media type or extension.
 */
export function documentFormat(source: string, contentType?: string): DocumentFormat {
  const type = contentType?.split(';')[0].trim().toLowerCase() || undefined;
  const unsupported = (what: string) => new AppError('DOCUMENT_UNSUPPORTED', JSON.stringify(source), what);
  if (type && !UNTYPED.has(type)) {
    const byType = MEDIA_TYPES[type];
    if (!byType) throw unsupported(type);
    return byType;
  }
  const byName = FORMATS[path.extname(path.basename(source)).toLowerCase()];
  if (!byName) throw unsupported(`the extension ${path.extname(source)}`);
  return byName;
}

/**
 * Reads a document put over the API by its format's reader, in a worker under the build's reading limits (a hostile
 * document cannot hold the server's thread or memory); a catalogued error for what gives no text. A document past a
 * reading limit (inflated size, nesting, pages, time, memory) is DOCUMENT_UNREADABLE, the limit named.
 */
async function readPut(source: string, bytes: Buffer, contentType: string | undefined, maxBytes: number) {
  if (bytes.length > maxBytes) throw new AppError('DOCUMENT_TOO_LARGE', maxBytes);
  const file = fileOf(source, documentFormat(source, contentType), bytes);
  const got = await extractAlone(file);
  const name = JSON.stringify(source);
  if ('skipped' in got) {
    if (got.code === 'empty') throw new AppError('DOCUMENT_EMPTY', name, got.skipped);
    throw new AppError('DOCUMENT_UNREADABLE', name, got.skipped);
  }
  if (!got.text.trim()) throw new AppError('DOCUMENT_EMPTY', name, 'no text');
  return { file, doc: { ...got, source, format: file.format, sha256: file.sha256 } };
}

/**
 * Puts and deletes documents as one new version, under the index's own settings (the index decides how text is cut,
 * not the server's configuration). Waits up to `waitMs` for another change to end (BUILD_IN_PROGRESS after). Throws
 * DOCUMENT_FROM_FOLDER for a path of the corpus folder's, DOCUMENT_NOT_FOUND for deleting what is not there, and the
 * readers' refusals (DOCUMENT_UNSUPPORTED, DOCUMENT_EMPTY, DOCUMENT_UNREADABLE, DOCUMENT_TOO_LARGE).
 */
export async function changeDocuments(
  changes: DocumentChange[],
  embedder: () => Promise<Embedder>,
  options: BuildOptions & { waitMs?: number; maxBytes: number },
): Promise<BuildResult> {
  const sources = changes.map((c) => documentSource(c.source));
  // Read before the lock: a slow reader holds no other change back.
  const puts = new Map<string, Awaited<ReturnType<typeof readPut>>>();
  for (const c of changes) if (c.bytes) puts.set(c.source, await readPut(c.source, c.bytes, c.contentType, options.maxBytes));
  const release = await options.store.lock(options.waitMs ?? 0);
  try {
    const ctx: ChangeContext = { options, embedder: lazy(embedder), started: performance.now(), stage: stageReporter(options) };
    ctx.stage('reuse');
    const base = await options.store.currentManifest();
    if (base && base.format !== INDEX_FORMAT)
      throw new AppError(
        'INDEX_INVALID',
        options.store.where,
        `format ${base.format} is not ${INDEX_FORMAT}; rebuild it with \`npm run build:index -- --force\` first`,
      );
    const entries = new Map((base?.documents ?? []).map((d) => [d.source, d]));
    const documents: Plan['documents'] = [];
    const blobs: Plan['blobs'] = [];
    const touched = new Set<string>();
    for (const [i, change] of changes.entries()) {
      const entry = entries.get(sources[i]);
      if (entry?.origin === 'folder') throw new AppError('DOCUMENT_FROM_FOLDER', JSON.stringify(sources[i]));
      const put = puts.get(change.source);
      if (!put && !entry) throw new AppError('DOCUMENT_NOT_FOUND', JSON.stringify(sources[i]));
      // The same bytes again change nothing.
      if (put && entry && entry.sha256 === put.file.sha256 && entry.format === put.file.format) continue;
      touched.add(sources[i]);
      if (put) {
        documents.push({ doc: put.doc, origin: 'api', bytes: put.file.bytes!.length });
        blobs.push({ sha256: put.file.sha256, bytes: put.file.bytes! });
      }
    }
    if (base && !touched.size) {
      return noChange((await options.store.currentName())!, base, { upToDate: true, skipped: base.skipped });
    }
    const kept: DocumentEntry[] = (base?.documents ?? []).filter((d) => !touched.has(d.source));
    const remove = [...touched].filter((s) => entries.has(s));
    const plan: Plan = {
      base,
      rebuild: !base,
      documents,
      remove,
      kept,
      corpusHash: base?.corpusHash ?? '',
      corpusDir: base?.corpusDir,
      skipped: base?.skipped ?? [],
      blobs,
      extracted: puts.size,
      reusedFiles: 0,
    };
    return await writePlan(plan, ctx);
  } finally {
    await release();
  }
}
