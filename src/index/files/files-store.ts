// The files store: an index folder of immutable segments (segments.ts), a commit per version naming the segments it
// reads and the documents removed from each (commits.ts), CURRENT naming the version in use; one writer at a time
// under a lock file (lock.ts). A change writes a new segment and a new commit; old segments are merged by merge.ts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open as openFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { checkManifest, HASH_BYTES } from '../manifest.js';
import type { BuildReader, ExtractedDocument, IndexStore, IndexWriter, KnownSentence, ReaderOptions } from '../store.js';
import { BLOBS, currentCommit, currentVersion, highestVersion, prune, publish, SEGMENTS, writeFailed, writeFileAtomic, type Commit } from './commits.js';
import { lineRanges, readDocumentAt } from './documents.js';
import { acquireBuildLock } from './lock.js';
import { mergeIfDue } from './merge.js';
import { chunkBytes, loadSegment, readSegmentMeta, writeSegment, type LoadedSegment, type SegmentMeta } from './segments.js';
import { createView } from './view.js';
import { LRUCache } from 'lru-cache';

export interface FilesStoreOptions {
  /** Merges of more passages than this are left for a later change (a server keeps its writes short); none: any. */
  mergeLimit?: number;
  /**
   * A segment of more passages than this gets an HNSW graph, and a search of at most this many passages of one is
   * exact (EXACT_SEARCH_MAX; tests set 0 to search every segment through its graph).
   */
  exactSearchMax?: number;
}

/** A new segment's name: its time, and a few random characters so that two in one millisecond differ. */
const segmentName = () => `s-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;

export function createFilesStore(indexDir: string, options: FilesStoreOptions = {}): IndexStore {
  const segmentsDir = path.join(indexDir, SEGMENTS);
  const metas = new Map<string, Promise<SegmentMeta>>();
  // Segments never change: their metas are read once.
  const metaOf = (name: string) => {
    let m = metas.get(name);
    if (!m) {
      m = readSegmentMeta(path.join(segmentsDir, name));
      m.catch(() => metas.delete(name));
      metas.set(name, m);
    }
    return m;
  };
  const current = () => currentCommit(indexDir).catch(() => null);
  // A segment's sentence hashes and token counts, checked once: each change asks what the segments know of its texts.
  const sentences = new LRUCache<string, Promise<SentenceTable | null>>({ max: 256 });
  const sentencesOf = (name: string) => {
    let table = sentences.get(name);
    if (!table) sentences.set(name, (table = sentenceTableOf(path.join(segmentsDir, name), metaOf(name))));
    return table;
  };

  const open = async (opts: ReaderOptions, previous?: BuildReader): Promise<BuildReader> => {
    const found = await currentCommit(indexDir);
    if (!found) throw new AppError('INDEX_NOT_READY', path.resolve(indexDir));
    const where = `${path.resolve(indexDir)} (${found.name})`;
    // An embedder at hand is checked first; one still loading, once the segments are loaded too.
    const waiting = opts.expect instanceof Promise;
    if (!waiting) checkManifest(found.commit.manifest, await opts.expect, where);
    const lent = new Map(((previous as { segments?: LoadedSegment[] } | undefined)?.segments ?? []).map((s) => [s.name, s]));
    // One segment at a time (each reads its files at once): a start holds one segment's files in flight, not all.
    const segments = [];
    for (const s of found.commit.segments) {
      const segment =
        lent.get(s.name) ??
        (await loadSegment(segmentsDir, s.name, opts.efSearch).catch((err: Error) => {
          throw new AppError('INDEX_INVALID', where, `segment ${s.name}: ${err.message}`);
        }));
      segments.push({ segment, deleted: s.deleted });
    }
    if (waiting) checkManifest(found.commit.manifest, await opts.expect, where);
    return createView({ name: found.name, manifest: found.commit.manifest, segments, exactSearchMax: options.exactSearchMax });
  };

  const store: IndexStore = {
    where: path.resolve(indexDir),
    currentName: async () => (await currentVersion(indexDir).catch(() => null)) ?? null,
    currentManifest: async () => (await current())?.commit.manifest ?? null,
    open,
    async knownSentences(hashes, withVectors) {
      const out = new Map<string, KnownSentence>();
      const found = await current();
      if (!found || !hashes.length) return out;
      const wanted = new Set(hashes);
      for (const s of found.commit.segments) {
        try {
          await knownIn(path.join(segmentsDir, s.name), await metaOf(s.name), await sentencesOf(s.name), wanted, withVectors, out);
        } catch {
          // A damaged segment offers nothing to reuse; its texts are embedded again.
        }
        if (out.size === wanted.size) break;
      }
      return out;
    },
    documents: async (sources) => documentsOf(segmentsDir, await current(), metaOf, sources),
    blob: (sha256) => readFile(path.join(indexDir, BLOBS, sha256)).catch(() => null),
    // No room even for the lock file is a full disk, said as such.
    lock: (waitMs = 0) => acquireBuildLock(indexDir, waitMs).catch((err) => Promise.reject(writeFailed(indexDir, err))),
    async begin({ replaceAll, dimension, hnsw, signal }) {
      const base = replaceAll ? null : await currentCommit(indexDir);
      const known = (hashes: string[], withVectors: boolean) => store.knownSentences(hashes, withVectors);
      return createWriter({
        indexDir,
        segmentsDir,
        base,
        dimension,
        hnsw,
        signal,
        metaOf,
        mergeLimit: options.mergeLimit,
        graphAbove: options.exactSearchMax,
        known,
      });
    },
    async close() {},
  };
  return store;
}

/** The extracted documents of these sources (all when absent) that a commit reads. */
async function documentsOf(
  segmentsDir: string,
  found: { commit: Commit } | null,
  metaOf: (name: string) => Promise<SegmentMeta>,
  sources?: string[],
): Promise<Map<string, ExtractedDocument>> {
  const out = new Map<string, ExtractedDocument>();
  if (!found) return out;
  const wanted = sources && new Set(sources);
  for (const s of found.commit.segments) {
    const meta = await metaOf(s.name);
    const dir = path.join(segmentsDir, s.name);
    const deleted = new Set(s.deleted);
    const lines = meta.documents.some((d) => !deleted.has(d) && (!wanted || wanted.has(d))) ? await documentLines(dir) : [];
    for (const [i, source] of meta.documents.entries()) {
      if (deleted.has(source) || (wanted && !wanted.has(source))) continue;
      out.set(source, await readDocumentAt(path.join(dir, 'documents.jsonl'), lines[i]));
    }
  }
  return out;
}

/** The byte ranges of a segment's documents.jsonl lines. */
async function documentLines(dir: string): Promise<{ start: number; end: number }[]> {
  return lineRanges(await readFile(path.join(dir, 'documents.jsonl')));
}

/** A file of a segment, read whole and checked against its meta; null when it does not match. */
async function checkedFile(dir: string, meta: SegmentMeta, file: string): Promise<Buffer | null> {
  const want = meta.files[file];
  const data = await readFile(path.join(dir, file)).catch(() => null);
  if (!want || !data || data.length !== want.bytes) return null;
  return createHash('sha256').update(data).digest('hex') === want.sha256 ? data : null;
}

/** A segment's sentence hashes and token counts, as checked against its meta. */
interface SentenceTable {
  hashes: Buffer;
  tokens: Buffer;
}

/** A segment's sentence table; null when its files do not match their checksums (it then offers nothing to reuse). */
async function sentenceTableOf(dir: string, meta: Promise<SegmentMeta>): Promise<SentenceTable | null> {
  const m = await meta.catch(() => null);
  if (!m) return null;
  const hashes = await checkedFile(dir, m, 'hashes.bin');
  const tokens = await checkedFile(dir, m, 'tokens.u16');
  if (!hashes || !tokens || hashes.length !== m.rows * HASH_BYTES || tokens.length !== m.rows * 2) return null;
  return { hashes, tokens };
}

/**
 * Adds to `out` what segment `dir` knows of the wanted hashes: token counts, and vectors when asked. Only what matches
 * its checksums is taken: the vectors are read a checked piece at a time, only the pieces holding wanted rows.
 */
async function knownIn(
  dir: string,
  meta: SegmentMeta,
  table: SentenceTable | null,
  wanted: Set<string>,
  withVectors: boolean,
  out: Map<string, KnownSentence>,
): Promise<void> {
  if (!table) return;
  const { hashes, tokens } = table;
  const rows: [string, number][] = [];
  // A row's first six bytes, as a number, rule out nearly every row before its hash is written out in hex.
  const prefixes = new Set([...wanted].map((h) => Number.parseInt(h.slice(0, 12), 16)));
  for (let row = 0; row < meta.rows; row++) {
    if (!prefixes.has(hashes.readUIntBE(row * HASH_BYTES, 6))) continue;
    const h = hashes.toString('hex', row * HASH_BYTES, (row + 1) * HASH_BYTES);
    if (wanted.has(h) && !out.has(h)) rows.push([h, row]);
  }
  if (!rows.length) return;
  const rowBytes = meta.dimension * 4;
  const VECTOR_CHUNK = chunkBytes(meta.dimension);
  const pieces = new Map<number, Buffer | null>();
  const handle = withVectors ? await openFile(path.join(dir, 'vectors.f32'), 'r') : null;
  try {
    for (const [h, row] of rows) {
      const known: KnownSentence = { tokens: tokens.readUInt16LE(row * 2) };
      const start = row * rowBytes;
      const chunk = Math.floor(start / VECTOR_CHUNK);
      if (handle) {
        if (!pieces.has(chunk)) {
          const length = Math.min(VECTOR_CHUNK, meta.rows * rowBytes - chunk * VECTOR_CHUNK);
          const piece = Buffer.alloc(length);
          await handle.read(piece, 0, length, chunk * VECTOR_CHUNK);
          pieces.set(chunk, createHash('sha256').update(piece).digest('hex') === meta.vectorChunks[chunk] ? piece : null);
        }
        const piece = pieces.get(chunk);
        if (piece) known.vector = Float32Array.from(new Float32Array(piece.buffer, piece.byteOffset + start - chunk * VECTOR_CHUNK, meta.dimension));
      }
      // A vector in a damaged piece is embedded again: its text still has its token count.
      out.set(h, known);
    }
  } finally {
    await handle?.close();
  }
}

interface WriterContext {
  indexDir: string;
  segmentsDir: string;
  base: { name: string; commit: Commit } | null;
  dimension: number;
  hnsw: { M: number; efConstruction: number };
  signal?: AbortSignal;
  metaOf: (name: string) => Promise<SegmentMeta>;
  mergeLimit?: number;
  graphAbove?: number;
  known: IndexWriter['known'];
}

/** A change to the files store: new segments written as they come, tombstones gathered, one commit at the end. */
function createWriter(ctx: WriterContext): IndexWriter {
  const added: string[] = [];
  const removed = new Set<string>();
  const fail = (err: unknown) => (ctx.signal?.aborted ? err : writeFailed(ctx.indexDir, err));
  return {
    known: ctx.known,
    async remove(sources) {
      for (const s of sources) removed.add(s);
    },
    async add(data) {
      ctx.signal?.throwIfAborted();
      await mkdir(ctx.segmentsDir, { recursive: true });
      const name = segmentName();
      try {
        await writeSegment(ctx.segmentsDir, name, data, ctx.dimension, ctx.hnsw, ctx.signal, ctx.graphAbove);
      } catch (err) {
        throw fail(err);
      }
      added.push(name);
    },
    async keepBlob(sha256, bytes) {
      await mkdir(path.join(ctx.indexDir, BLOBS), { recursive: true });
      await writeFileAtomic(path.join(ctx.indexDir, BLOBS, sha256), bytes).catch((err) => Promise.reject(fail(err)));
    },
    async commit(manifest) {
      ctx.signal?.throwIfAborted();
      const segments: Commit['segments'] = [];
      for (const s of ctx.base?.commit.segments ?? []) {
        const meta = await ctx.metaOf(s.name);
        const deleted = [...new Set([...s.deleted, ...meta.documents.filter((d) => removed.has(d))])].sort();
        // A segment all of whose documents are gone is read no more.
        if (deleted.length < meta.documents.length) segments.push({ name: s.name, deleted });
      }
      for (const name of added) segments.push({ name, deleted: [] });
      // Versions only go up, even past a damaged current one.
      const version = Math.max(manifest.version, (await highestVersion(ctx.indexDir)) + 1);
      const name = `v${version}`;
      const commit: Commit = { manifest: { ...manifest, version }, segments };
      try {
        await publish(ctx.indexDir, name, commit);
      } catch (err) {
        throw fail(err);
      }
      const merged = await mergeIfDue(ctx, commit).catch(() => null);
      const latest = merged ?? { name, commit };
      const before = ctx.base ?? null;
      await prune(
        ctx.indexDir,
        [latest.commit, ...(merged ? [commit] : before ? [before.commit] : [])],
        [latest.name, merged ? name : (before?.name ?? name)],
      ).catch(() => undefined);
      return name;
    },
    async abort() {
      for (const name of added) await rm(path.join(ctx.segmentsDir, name), { recursive: true, force: true });
    },
  };
}

export type { WriterContext };
