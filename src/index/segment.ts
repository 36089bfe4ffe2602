// Documents → what a store keeps of them (SegmentData): passages cut from each document on its own, a vector for each
// distinct sentence (taken from the index when it already knows the text, else from the model), each passage's
// vector, and the keyword postings of the passages' blocks. The model is loaded only when some text is new.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { normalizeSpace, sentenceRuns, windowsOf, type ChunkingOptions, type Sentence } from '../ingest/chunking.js';
import { createLocator, type ExtractedDocument } from '../ingest/document.js';
import { checkFinite, type Embedder } from '../model/embedder.js';
import { blocksOf } from './blocks.js';
import { keywordDataOf } from './keywords.js';
import { HASH_BYTES, type PassageRecord } from './manifest.js';
import type { KnownSentence, SegmentData } from './store.js';

export interface SegmentOptions {
  /** Chunking as the index has it (the token limit already the lower of the setting's and the model's). */
  chunking: ChunkingOptions;
  /** What the index knows of sentence texts, by SHA-1 (hex). */
  known: (hashes: string[]) => Promise<Map<string, KnownSentence>>;
  /** The model, loaded on first call; not called when every text is known. */
  embedder: () => Promise<Embedder>;
  /** The vectors' dimension, for a segment whose every text is known. */
  dimension: number;
  /** Called as texts are embedded: `done` of `total` tokens. */
  onProgress?: (done: number, total: number) => void;
  /** Called as each step starts: chunking, embedding, assembling the passages' vectors and postings. */
  onStage?: (stage: 'chunk' | 'embed' | 'assemble') => void;
  signal?: AbortSignal;
}

export interface MadeSegment {
  segment: SegmentData;
  /** Sentence texts embedded now, and texts whose vectors the index already had. */
  embedded: number;
  reused: number;
}

/** SHA-1 of a folded text: the key under which the index finds its vector and token count. */
export const textHash = (folded: string): Buffer => createHash('sha1').update(folded).digest();

/**
 * Token counts of texts the index does not keep (the words of a sentence over the token limit, and such a sentence
 * whole), by model, kept from one segment to the next: a long-lived process (a server's change worker) would
 * otherwise tokenize every long sentence of a document again, word by word, at each edit of it.
 */
const unkeptCounts = new WeakMap<Embedder, LRUCache<string, number>>();
/** At most this many characters of such texts are kept, by model. */
const UNKEPT_CHARS = 16_000_000;

function unkeptOf(tokenizer: Embedder): LRUCache<string, number> {
  let cache = unkeptCounts.get(tokenizer);
  if (!cache) unkeptCounts.set(tokenizer, (cache = new LRUCache<string, number>({ maxSize: UNKEPT_CHARS, sizeCalculation: (_n, key) => key.length || 1 })));
  return cache;
}

/** Token counts and ids of folded texts: known ones from the index, new ones from the model's tokenizer (kept). */
function createCounter(known: Map<string, KnownSentence>, hashOf: (folded: string) => string, tokenizer: Embedder | null, maxTokens: number) {
  const ids = new Map<string, Int32Array>();
  const counts = new Map<string, number>();
  const unkept = tokenizer ? unkeptOf(tokenizer) : null;
  const count = (text: string) => {
    const key = normalizeSpace(text);
    let n = counts.get(key) ?? known.get(hashOf(key))?.tokens ?? unkept?.get(key);
    if (n === undefined) {
      if (!tokenizer) throw new Error(`no token count for a text the index does not know: ${key.slice(0, 80)}`);
      const tokens = tokenizer.tokenize(key);
      ids.set(key, tokens);
      n = tokens.length;
      if (n > maxTokens || !key.includes(' ')) unkept?.set(key, n);
    }
    counts.set(key, n);
    return n;
  };
  return { count, idsOf: (key: string, model: Embedder) => ids.get(key) ?? model.tokenize(key) };
}

/** Whether chunking needs the tokenizer: a text the index does not know, or a known one too long to keep whole. */
function needsTokenizer(runs: Sentence[][][], known: Map<string, KnownSentence>, hashOf: (folded: string) => string, maxTokens: number): boolean {
  for (const doc of runs)
    for (const run of doc)
      for (const s of run) {
        const k = known.get(hashOf(normalizeSpace(s.text)));
        if (!k || k.tokens > maxTokens) return true;
      }
  return false;
}

/**
 * The passages of `documents` with a row for each distinct sentence text (folded) they hold. Each document is cut on
 * its own, so its passages do not depend on the others.
 */
function chunkAll(documents: ExtractedDocument[], runs: Sentence[][][], chunking: ChunkingOptions, count: (t: string) => number) {
  const passages: PassageRecord[] = [];
  const rowOf = new Map<string, number>();
  const texts: string[] = [];
  documents.forEach((doc, d) => {
    const place = createLocator(doc);
    for (const chunk of windowsOf(doc.text, runs[d], chunking, count)) {
      passages.push({
        id: `${doc.source}:${chunk.start}-${chunk.end}`,
        source: doc.source,
        start: chunk.start,
        end: chunk.end,
        text: chunk.text,
        norm: 0,
        block: chunk.run,
        sentences: chunk.sentences.map((s) => {
          const key = normalizeSpace(s.text);
          let row = rowOf.get(key);
          if (row === undefined) rowOf.set(key, (row = texts.push(key) - 1));
          return { start: s.start, end: s.end, row };
        }),
        ...place(chunk.start),
      });
    }
  });
  return { passages, texts };
}

/** Each passage's vector: the normalised sum of its sentences' (its norm kept in the record). */
export function passageVectorsOf(passages: PassageRecord[], textVectors: Float32Array, dimension: number, signal?: AbortSignal): Float32Array {
  const out = new Float32Array(passages.length * dimension);
  passages.forEach((p, label) => {
    if (label % 1024 === 0) signal?.throwIfAborted();
    const sum = out.subarray(label * dimension, (label + 1) * dimension);
    for (const s of p.sentences) {
      const base = s.row * dimension;
      for (let i = 0; i < dimension; i++) sum[i] += textVectors[base + i];
    }
    let norm = 0;
    for (let i = 0; i < dimension; i++) norm += sum[i] * sum[i];
    p.norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < dimension; i++) sum[i] /= p.norm;
  });
  return out;
}

/**
 * The vectors of `texts`: known ones as the index has them, the rest from the model, shortest first (each batch of
 * about one length, little padding), in slices so progress is reported and an abort heard.
 */
async function vectorsOf(
  texts: string[],
  hashes: string[],
  known: Map<string, KnownSentence>,
  counter: ReturnType<typeof createCounter>,
  options: SegmentOptions,
  model: Embedder | null,
) {
  const dimension = model?.dimension ?? options.dimension;
  const textVectors = new Float32Array(texts.length * dimension);
  const textTokens = new Uint16Array(texts.length);
  const missing: number[] = [];
  texts.forEach((text, row) => {
    textTokens[row] = Math.min(65535, counter.count(text));
    const vector = known.get(hashes[row])?.vector;
    if (vector && vector.length === dimension) textVectors.set(vector, row * dimension);
    else missing.push(row);
  });
  if (missing.length) {
    const embedder = model ?? (await options.embedder());
    const order = [...missing].sort((a, b) => textTokens[a] - textTokens[b]);
    const total = order.reduce((sum, row) => sum + textTokens[row], 0);
    let done = 0;
    options.onProgress?.(0, total);
    for (let i = 0; i < order.length; i += 256) {
      options.signal?.throwIfAborted();
      const rows = order.slice(i, i + 256);
      const vectors = await embedder.embedPassages(rows.map((row) => counter.idsOf(texts[row], embedder)));
      rows.forEach((row, k) => textVectors.set(checkFinite(vectors[k], embedder.modelId), row * dimension));
      done += rows.reduce((sum, row) => sum + textTokens[row], 0);
      options.onProgress?.(done, total);
    }
  }
  return { textVectors, textTokens, embedded: missing.length, dimension };
}

/** Makes the segment of `documents`: chunks, embeds what the index does not know, and makes the keyword postings. */
export async function makeSegment(documents: ExtractedDocument[], options: SegmentOptions): Promise<MadeSegment> {
  const hexOf = new Map<string, string>();
  const hashOf = (folded: string) => {
    let h = hexOf.get(folded);
    if (h === undefined) hexOf.set(folded, (h = textHash(folded).toString('hex')));
    return h;
  };
  options.onStage?.('chunk');
  const runs = documents.map((doc) => sentenceRuns(doc));
  options.signal?.throwIfAborted();
  const asked = new Set<string>();
  for (const doc of runs) for (const run of doc) for (const s of run) asked.add(hashOf(normalizeSpace(s.text)));
  const known = await options.known([...asked]);
  const model = needsTokenizer(runs, known, hashOf, options.chunking.maxTokens) ? await options.embedder() : null;
  const counter = createCounter(known, hashOf, model, options.chunking.maxTokens);
  const { passages, texts } = chunkAll(documents, runs, options.chunking, counter.count);
  options.signal?.throwIfAborted();
  const hashes = texts.map(hashOf);
  // Pieces of an over-long sentence are new texts: their vectors may be known all the same.
  const more = hashes.filter((h) => !known.has(h) && !asked.has(h));
  if (more.length) for (const [h, k] of await options.known(more)) known.set(h, k);
  options.onStage?.('embed');
  const { textVectors, textTokens, embedded, dimension } = await vectorsOf(texts, hashes, known, counter, options, model);
  options.onStage?.('assemble');
  const textHashes = new Uint8Array(texts.length * HASH_BYTES);
  hashes.forEach((h, row) => textHashes.set(Buffer.from(h, 'hex'), row * HASH_BYTES));
  const passageVectors = passageVectorsOf(passages, textVectors, dimension, options.signal);
  const blocks = blocksOf(passages);
  const segment: SegmentData = {
    documents,
    passages,
    textVectors,
    textHashes,
    textTokens,
    passageVectors,
    keywords: keywordDataOf(blocks.texts),
    blockPassages: blocks.passages,
  };
  return { segment, embedded, reused: texts.length - embedded };
}

/** Documents are indexed in batches of about this much text, each a segment: a large corpus is never held whole. */
export const BATCH_CHARS = 8_000_000;

/** Splits documents into batches of about BATCH_CHARS of text, in order. */
export function batches<T extends { doc: ExtractedDocument }>(items: T[]): T[][] {
  const out: T[][] = [];
  let size = Infinity;
  for (const item of items) {
    if (size >= BATCH_CHARS) out.push([]), (size = 0);
    out[out.length - 1].push(item);
    size += item.doc.text.length;
  }
  return out;
}
