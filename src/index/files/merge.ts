// Merging segments, as Lucene does: many small segments (one a change) and segments mostly made of removed documents
// cost every search, so after a change the writer rewrites them as one — their live documents only, sentence vectors
// copied, nothing embedded again — and publishes that as the next version, the same documents in fewer segments.
import path from 'node:path';
import { blocksOf } from '../blocks.js';
import { keywordDataOf } from '../keywords.js';
import { HASH_BYTES, type PassageRecord } from '../manifest.js';
import { passageVectorsOf } from '../segment.js';
import type { ExtractedDocument, SegmentData } from '../store.js';
import { publish, type Commit } from './commits.js';
import { readDocumentAt } from './documents.js';
import type { WriterContext } from './files-store.js';
import { loadSegment, writeSegment, type LoadedSegment, type SegmentMeta } from './segments.js';
import { randomBytes } from 'node:crypto';

/** More segments than this, and the smallest are merged until half as many remain. */
export const MAX_SEGMENTS = 8;
/** A segment whose removed documents held at least this share of its passages is rewritten. */
export const MAX_DELETED_SHARE = 0.5;

interface Candidate {
  name: string;
  meta: SegmentMeta;
  deleted: string[];
  live: number;
}

/** The segments a merge should rewrite now, or none: those mostly removed, and the smallest when there are too many. */
export function mergePlan(segments: Candidate[]): string[] {
  const chosen = new Set<string>();
  for (const s of segments) if (s.meta.passages && s.live <= s.meta.passages * (1 - MAX_DELETED_SHARE)) chosen.add(s.name);
  if (segments.length > MAX_SEGMENTS) {
    const bySize = [...segments].sort((a, b) => a.live - b.live);
    for (const s of bySize) {
      if (segments.length - chosen.size + 1 <= MAX_SEGMENTS / 2) break;
      chosen.add(s.name);
    }
  }
  // One segment rewritten alone is worth it only to drop what was removed from it.
  if (chosen.size === 1 && !segments.find((s) => chosen.has(s.name))!.deleted.length) return [];
  return segments.filter((s) => chosen.has(s.name)).map((s) => s.name);
}

/** The live documents of loaded segments as one segment: rows of equal text shared, passages renumbered. */
export async function mergedSegment(parts: { segment: LoadedSegment; deleted: Set<string> }[], dimension: number): Promise<SegmentData> {
  const documents: ExtractedDocument[] = [];
  const passages: PassageRecord[] = [];
  const rowOf = new Map<string, number>();
  const hashes: Buffer[] = [];
  const tokens: number[] = [];
  const vectors: Float32Array[] = [];
  for (const { segment, deleted } of parts) {
    for (const source of segment.meta.documents) {
      if (deleted.has(source)) continue;
      documents.push(await readDocumentAt(path.join(segment.dir, 'documents.jsonl'), segment.documentLines.get(source)!));
    }
    const rowMap = new Map<number, number>();
    const newRow = (row: number) => {
      let to = rowMap.get(row);
      if (to === undefined) {
        const hash = Buffer.from(segment.textHashes.subarray(row * HASH_BYTES, (row + 1) * HASH_BYTES));
        const key = hash.toString('hex');
        to = rowOf.get(key);
        if (to === undefined) {
          rowOf.set(key, (to = hashes.push(hash) - 1));
          tokens.push(segment.textTokens[row]);
          vectors.push(segment.textVectors.subarray(row * dimension, (row + 1) * dimension));
        }
        rowMap.set(row, to);
      }
      return to;
    };
    for (const p of segment.passages) {
      if (deleted.has(p.source)) continue;
      passages.push({ ...p, sentences: p.sentences.map((s) => ({ ...s, row: newRow(s.row) })) });
    }
  }
  const textVectors = new Float32Array(vectors.length * dimension);
  vectors.forEach((v, row) => textVectors.set(v, row * dimension));
  const textHashes = new Uint8Array(hashes.length * HASH_BYTES);
  hashes.forEach((h, row) => textHashes.set(h, row * HASH_BYTES));
  const passageVectors = passageVectorsOf(passages, textVectors, dimension);
  const blocks = blocksOf(passages);
  return {
    documents,
    passages,
    textVectors,
    textHashes,
    textTokens: Uint16Array.from(tokens),
    passageVectors,
    keywords: keywordDataOf(blocks.texts),
    blockPassages: blocks.passages,
  };
}

/**
 * Merges the segments of the version `commit` describes that are due (mergePlan), within `ctx.mergeLimit` passages, and publishes the
 * result as the next version; null when nothing was due. The merged version holds the same documents.
 */
export async function mergeIfDue(ctx: WriterContext, commit: Commit): Promise<{ name: string; commit: Commit } | null> {
  const candidates: Candidate[] = [];
  for (const s of commit.segments) {
    const meta = await ctx.metaOf(s.name);
    const deleted = new Set(s.deleted);
    const live = meta.documents.reduce((n, d, i) => n + (deleted.has(d) ? 0 : (meta.documentPassages[i] ?? 0)), 0);
    candidates.push({ name: s.name, meta, deleted: s.deleted, live });
  }
  const plan = mergePlan(candidates);
  const size = candidates.filter((c) => plan.includes(c.name)).reduce((n, c) => n + c.live, 0);
  if (plan.length === 0 || size > (ctx.mergeLimit ?? Infinity)) return null;
  const loaded = [];
  for (const s of commit.segments.filter((x) => plan.includes(x.name)))
    loaded.push({ segment: await loadSegment(ctx.segmentsDir, s.name, 10), deleted: new Set(s.deleted) });
  const data = await mergedSegment(loaded, ctx.dimension);
  const merged = `s-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
  await writeSegment(ctx.segmentsDir, merged, data, ctx.dimension, ctx.hnsw, undefined, ctx.graphAbove);
  // The merged segment takes the place of the first it replaces, so documents keep their order.
  const segments: Commit['segments'] = [];
  for (const s of commit.segments) {
    if (!plan.includes(s.name)) segments.push(s);
    else if (!segments.some((x) => x.name === merged)) segments.push({ name: merged, deleted: [] });
  }
  const version = commit.manifest.version + 1;
  const next: Commit = { manifest: { ...commit.manifest, version, builtAt: new Date().toISOString() }, segments };
  await publish(ctx.indexDir, `v${version}`, next);
  return { name: `v${version}`, commit: next };
}
