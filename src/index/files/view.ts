// One version of the files store, in memory: its segments, each with the documents a later change removed from it set
// aside (tombstones), under one numbering of passages, sentence rows and keyword blocks. Every answer is computed
// here; the keyword scoring itself is keywords.ts's, over the postings handed to it.
import path from 'node:path';
import { postingsIn, type TermPostings } from '../keywords.js';
import type { IndexManifest, PassageRecord, SourceFilter } from '../manifest.js';
import type { BuildReader, KeywordReader } from '../store.js';
import { readDocumentAt } from './documents.js';
import { EXACT_SEARCH_MAX, type LoadedSegment } from './segments.js';

/** A segment as one version sees it: where its numbers start, and which of its passages and blocks are live. */
interface Part {
  segment: LoadedSegment;
  deleted: ReadonlySet<string>;
  passageBase: number;
  rowBase: number;
  blockBase: number;
  /** Live passages; null when none of the segment's documents is deleted. */
  livePassage: Uint8Array | null;
  liveBlock: Uint8Array | null;
  livePassages: number;
}

/** Dot product of `a` with row `row` of `vectors` (rows of a.length). */
export function dot(a: Float32Array, vectors: Float32Array, row: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  const tail = n - (n % 4);
  let j = row * n;
  let i = 0;
  // Four lanes at a time: independent sums the CPU can add in parallel.
  for (; i < tail; i += 4, j += 4) {
    s0 += a[i] * vectors[j];
    s1 += a[i + 1] * vectors[j + 1];
    s2 += a[i + 2] * vectors[j + 2];
    s3 += a[i + 3] * vectors[j + 3];
  }
  for (; i < n; i++, j++) s0 += a[i] * vectors[j];
  return s0 + s1 + s2 + s3;
}

/** The cosine of the query to a segment's passage: its vector is the sum of its sentences' over its norm. */
function passageCosine(query: Float32Array, segment: LoadedSegment, label: number): number {
  const p = segment.passages[label];
  let sum = 0;
  for (const s of p.sentences) sum += dot(query, segment.textVectors, s.row);
  return sum / p.norm;
}

function partOf(segment: LoadedSegment, deleted: ReadonlySet<string>, bases: { passage: number; row: number; block: number }): Part {
  let livePassage: Uint8Array | null = null;
  let liveBlock: Uint8Array | null = null;
  let livePassages = segment.passages.length;
  if (segment.meta.documents.some((source) => deleted.has(source))) {
    livePassage = Uint8Array.from(segment.passages, (p) => (deleted.has(p.source) ? 0 : 1));
    liveBlock = Uint8Array.from(segment.blockSources, (source) => (deleted.has(source) ? 0 : 1));
    livePassages = livePassage.reduce((a, b) => a + b, 0);
  }
  return { segment, deleted, passageBase: bases.passage, rowBase: bases.row, blockBase: bases.block, livePassage, liveBlock, livePassages };
}

/** The index of the part whose numbers (by `base`) hold `n`: the last part starting at or before it. */
function partAt(parts: Part[], n: number, base: (p: Part) => number): number {
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (base(parts[mid]) <= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The `k` best of scored candidates, by cosine, ties to the lower label. */
const best = (found: { label: number; cos: number }[], k: number) =>
  found
    .sort((a, b) => b.cos - a.cos || a.label - b.label)
    .slice(0, k)
    .map((x) => x.label);

/** A part's `k` passages nearest the query among those `allowed` (all live ones when absent), as global labels. */
function nearestIn(part: Part, query: Float32Array, k: number, filter: SourceFilter, exactMax: number): { label: number; cos: number }[] {
  const { segment } = part;
  const live = (label: number) => !part.livePassage || part.livePassage[label] === 1;
  const allowed = filter ? [...filter].flatMap((source) => (part.deleted.has(source) ? [] : (segment.bySource.get(source) ?? []))) : null;
  const count = allowed ? allowed.length : part.livePassages;
  const want = Math.min(k, count);
  if (want <= 0) return [];
  const exact = (labels: number[]) => labels.map((label) => ({ label: part.passageBase + label, cos: passageCosine(query, segment, label) }));
  const everyLive = () => segment.passages.map((_, label) => label).filter(live);
  if (!segment.hnsw || count <= Math.max(exactMax, k)) return exact(allowed ?? everyLive());
  const keep = allowed ? (label: number) => live(label) && filter!.has(segment.passages[label].source) : part.livePassage ? live : undefined;
  const found = segment.hnsw.searchKnn(Array.from(query), want, keep);
  // A filter or many tombstones can strand the graph's walk short of `want`: then every allowed passage is scored.
  if (found.neighbors.length < want) return exact(allowed ?? everyLive());
  return found.neighbors.map((label, i) => ({ label: part.passageBase + label, cos: 1 - found.distances[i] }));
}

/** The keyword side of a version: each term's live postings across its parts, blocks numbered as the parts say. */
function keywordReader(parts: Part[], blockSpace: number, stats: { blocks: number; totalLength: number }): KeywordReader {
  return {
    blockSpace,
    stats: async () => stats,
    async postings(asked, filter) {
      const out = new Map<string, TermPostings>();
      for (const term of asked) {
        const lists: ReturnType<typeof postingsIn>[] = [];
        let df = 0;
        for (const part of parts) {
          const id = part.segment.termIds.get(term);
          if (id === undefined) continue;
          const live = part.liveBlock ? (b: number) => part.liveBlock![b] === 1 : undefined;
          const all = postingsIn(part.segment.keywords, id, part.blockBase, live);
          df += all.count;
          if (!filter) lists.push(all);
          else lists.push(postingsIn(part.segment.keywords, id, part.blockBase, (b) => (!live || live(b)) && filter.has(part.segment.blockSources[b])));
        }
        if (df) out.set(term, { df, forEach: (visit) => lists.forEach((l) => l.each(visit)) });
      }
      return out;
    },
    async blockPassages(asked) {
      return new Map(
        asked.map((block) => {
          const part = parts[partAt(parts, block, (p) => p.blockBase)];
          return [block, part.segment.blockPassages[block - part.blockBase].map((l) => l + part.passageBase)];
        }),
      );
    },
  };
}

export interface ViewOptions {
  name: string;
  manifest: IndexManifest;
  segments: { segment: LoadedSegment; deleted: string[] }[];
  /** A part allowing at most this many passages is searched exactly, every passage scored. */
  exactSearchMax?: number;
}

/** The reader of one version over its loaded segments; `nearestExact` scores every passage (a reference for HNSW). */
export function createView(options: ViewOptions): BuildReader & { segments: LoadedSegment[]; nearestExact(query: Float32Array, k: number): number[] } {
  const exactMax = options.exactSearchMax ?? EXACT_SEARCH_MAX;
  const parts: Part[] = [];
  const bases = { passage: 0, row: 0, block: 0 };
  for (const { segment, deleted } of options.segments) {
    parts.push(partOf(segment, new Set(deleted), bases));
    bases.passage += segment.meta.passages;
    bases.row += segment.meta.rows;
    bases.block += segment.meta.blocks;
  }
  let blocks = 0;
  let totalLength = 0;
  for (const part of parts) {
    part.segment.keywords.lengths.forEach((length, b) => {
      if (!part.liveBlock || part.liveBlock[b] === 1) blocks++, (totalLength += length);
    });
  }
  const where = new Map<string, Part>();
  for (const part of parts) for (const source of part.segment.meta.documents) if (!part.deleted.has(source)) where.set(source, part);
  const records = new Map<number, PassageRecord>();
  const recordOf = (label: number): PassageRecord => {
    let r = records.get(label);
    if (!r) {
      const part = parts[partAt(parts, label, (p) => p.passageBase)];
      const own = part.segment.passages[label - part.passageBase];
      r = part.rowBase ? { ...own, sentences: own.sentences.map((s) => ({ ...s, row: s.row + part.rowBase })) } : own;
      records.set(label, r);
    }
    return r;
  };

  const keywords = keywordReader(parts, bases.block, { blocks, totalLength });

  const reader: ReturnType<typeof createView> = {
    name: options.name,
    manifest: options.manifest,
    segments: parts.map((p) => p.segment),
    keywords,
    nearestExact: (query, k) =>
      best(
        parts.flatMap((part) => nearestIn(part, query, k, undefined, Infinity)),
        k,
      ),
    async nearest(query, k, filter) {
      if (k <= 0) return [];
      return best(
        parts.flatMap((part) => nearestIn(part, query, k, filter, exactMax)),
        k,
      );
    },
    async passages(labels) {
      return new Map(labels.map((label) => [label, recordOf(label)] as [number, PassageRecord]));
    },
    async cosines(query, rows) {
      return new Map(
        rows.map((row) => {
          const part = parts[partAt(parts, row, (p) => p.rowBase)];
          return [row, dot(query, part.segment.textVectors, row - part.rowBase)];
        }),
      );
    },
    async document(source) {
      const part = where.get(source);
      const line = part?.segment.documentLines.get(source);
      // A segment pruned under a server that has not moved on yet reads as no document, until it loads the next.
      return part && line ? readDocumentAt(path.join(part.segment.dir, 'documents.jsonl'), line).catch(() => null) : null;
    },
    // A copy of this reader with a question replaced (a test's, a wrapper's) reads through its own questions.
    snapshot(work) {
      return work(this);
    },
  };
  return reader;
}
