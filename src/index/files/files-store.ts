// The files store: an index folder of immutable segments (segments.ts), a commit per version naming the segments it
// reads and the documents removed from each (commits.ts), CURRENT naming the version in use; one writer at a time
// under a lock file (lock.ts). A change writes a new segment and a new commit; old segments are merged by merge.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import { checkManifest } from '../manifest.js';
import type { BuildReader, ExtractedDocument, IndexStore, IndexWriter, ReaderOptions } from '../store.js';
import { BLOBS, currentCommit, currentVersion, highestVersion, prune, publish, SEGMENTS, writeFailed, writeFileAtomic, type Commit } from './commits.js';
import { lineRanges, readDocumentAt } from './documents.js';
import { acquireBuildLock } from './lock.js';
import { mergeIfDue } from './merge.js';
import { loadSegment, readSegmentMeta, writeSegment, type LoadedSegment, type SegmentMeta } from './segments.js';
import { knownSentences, sentenceTableOf, type SentenceTable } from './known.js';
import { createView } from './view.js';

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
    knownSentences: (hashes, withVectors) => knownSentences(segmentsDir, current, metaOf, sentencesOf, hashes, withVectors),
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
