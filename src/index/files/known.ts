// What a files store's segments know of sentence texts, by hash, for the next change: token counts always, vectors
// when asked; only what matches the segments' checksums is taken.
import { createHash } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import { HASH_BYTES } from '../manifest.js';
import type { KnownSentence } from '../store.js';
import type { Commit } from './commits.js';
import { chunkBytes, verified, type SegmentMeta } from './segments.js';

/** What the current version's segments know of these sentence hashes: token counts, and vectors when asked. */
export async function knownSentences(
  segmentsDir: string,
  current: () => Promise<{ commit: Commit } | null>,
  metaOf: (name: string) => Promise<SegmentMeta>,
  sentencesOf: (name: string) => Promise<SentenceTable | null>,
  hashes: string[],
  withVectors: boolean,
): Promise<Map<string, KnownSentence>> {
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
}

/** A segment's sentence hashes and token counts, as checked against its meta. */
export interface SentenceTable {
  hashes: Buffer;
  tokens: Buffer;
}

/** A segment's sentence table; null when its files do not match their checksums (it then offers nothing to reuse). */
export async function sentenceTableOf(dir: string, meta: Promise<SegmentMeta>): Promise<SentenceTable | null> {
  const m = await meta.catch(() => null);
  if (!m) return null;
  const hashes = await verified(dir, m, 'hashes.bin').catch(() => null);
  const tokens = await verified(dir, m, 'tokens.u16').catch(() => null);
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
