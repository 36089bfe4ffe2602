// A segment on disk: one change's documents, written once into a folder of its own and never modified — their text,
// passages, sentence vectors, keyword postings and (for a large one) an HNSW graph — with a sealed meta.json giving
// every file's size and checksum. Loading reads each file once and checks it against the meta.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import type { KeywordData } from '../keywords.js';
import type { PassageRecord } from '../manifest.js';
import type { SegmentData } from '../store.js';
import { documentsFile, lineRanges } from './documents.js';

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** A segment with more passages than this gets an HNSW graph; a smaller one is searched exactly, every passage scored. */
export const EXACT_SEARCH_MAX = 4096;

export interface SegmentMeta {
  passages: number;
  rows: number;
  blocks: number;
  dimension: number;
  /** The documents it holds, in order, and the passages of each. */
  documents: string[];
  documentPassages: number[];
  hnsw: boolean;
  files: Record<string, { bytes: number; sha256: string }>;
  /** SHA-256 of each piece of vectors.f32 (chunkBytes), so that a few vectors can be read and checked alone. */
  vectorChunks: string[];
}

/** The bytes of a piece of the vectors file: whole rows, about a mebibyte. */
export const chunkBytes = (dimension: number) => Math.max(1, Math.floor((1 << 20) / (dimension * 4))) * dimension * 4;

/** A segment read into memory. */
export interface LoadedSegment {
  name: string;
  dir: string;
  meta: SegmentMeta;
  passages: PassageRecord[];
  /** Unit vectors of its sentence rows, row-major. */
  textVectors: Float32Array;
  textHashes: Uint8Array;
  textTokens: Uint16Array;
  hnsw: Hnsw | null;
  keywords: KeywordData;
  termIds: Map<string, number>;
  blockPassages: number[][];
  /** The document of each block. */
  blockSources: string[];
  /** Each document's local passage labels. */
  bySource: Map<string, number[]>;
  /** The byte range of each document's line in documents.jsonl. */
  documentLines: Map<string, { start: number; end: number }>;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The postings as one binary file: counts, then term offsets, blocks, block lengths and term frequencies. */
function postingsFile(k: KeywordData): Uint8Array {
  const header = Uint32Array.from([k.terms.length, k.blocks.length, k.lengths.length, 0]);
  const parts = [header, k.offsets, k.blocks, k.lengths, k.tfs].map(bytesOf);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A typed array over `bytes` at `offset`, copied when the offset does not suit its alignment. */
function view<T extends Uint32Array | Int32Array | Uint16Array | Float32Array>(
  make: new (b: ArrayBuffer, o: number, n: number) => T,
  size: number,
  bytes: Uint8Array,
  offset: number,
  count: number,
): T {
  const at = bytes.byteOffset + offset;
  if (at % size === 0) return new make(bytes.buffer as ArrayBuffer, at, count);
  return new make(bytes.buffer.slice(at, at + count * size) as ArrayBuffer, 0, count);
}

function readPostings(bytes: Uint8Array, terms: string[]): KeywordData {
  const [nTerms, nPostings, nBlocks] = view(Uint32Array, 4, bytes, 0, 4);
  if (nTerms !== terms.length) throw new Error(`postings.bin has ${nTerms} terms, keywords.json ${terms.length}`);
  let at = 16;
  const offsets = view(Uint32Array, 4, bytes, at, nTerms + 1);
  at += (nTerms + 1) * 4;
  const blocks = view(Int32Array, 4, bytes, at, nPostings);
  at += nPostings * 4;
  const lengths = view(Uint32Array, 4, bytes, at, nBlocks);
  at += nBlocks * 4;
  const tfs = view(Uint16Array, 2, bytes, at, nPostings);
  if (at + nPostings * 2 !== bytes.length) throw new Error('postings.bin has the wrong size');
  return { terms, offsets, blocks, tfs, lengths };
}

/** The passages of each document of a segment, in its documents' order. */
function passageCounts(data: SegmentData): number[] {
  const counts = new Map<string, number>();
  for (const p of data.passages) counts.set(p.source, (counts.get(p.source) ?? 0) + 1);
  return data.documents.map((d) => counts.get(d.source) ?? 0);
}

/** The HNSW graph of a segment's passage vectors (label i is row i). */
function hnswOf(data: SegmentData, dimension: number, params: { M: number; efConstruction: number }, signal?: AbortSignal): Hnsw {
  const hnsw = new HierarchicalNSW('cosine', dimension);
  hnsw.initIndex(Math.max(1, data.passages.length), params.M, params.efConstruction);
  for (let label = 0; label < data.passages.length; label++) {
    if (label % 1024 === 0) signal?.throwIfAborted();
    hnsw.addPoint(Array.from(data.passageVectors.subarray(label * dimension, (label + 1) * dimension)), label);
  }
  return hnsw;
}

/**
 * Writes a segment as folder `name` under `dir`: written aside and renamed into place, so a segment folder is whole or
 * absent. Throws what the file system throws (the caller says INDEX_WRITE_FAILED), or the signal's reason.
 */
export async function writeSegment(
  dir: string,
  name: string,
  data: SegmentData,
  dimension: number,
  hnsw: { M: number; efConstruction: number },
  signal?: AbortSignal,
  graphAbove = EXACT_SEARCH_MAX,
): Promise<SegmentMeta> {
  const temp = path.join(dir, `${name}.partial`);
  await mkdir(temp, { recursive: true });
  try {
    const files: Record<string, string | Uint8Array> = {
      'documents.jsonl': documentsFile(data.documents),
      'passages.json': JSON.stringify(data.passages),
      'vectors.f32': bytesOf(data.textVectors),
      'hashes.bin': data.textHashes,
      'tokens.u16': bytesOf(data.textTokens),
      'keywords.json': JSON.stringify({ terms: data.keywords.terms, blockPassages: data.blockPassages }),
      'postings.bin': postingsFile(data.keywords),
    };
    const meta: SegmentMeta = {
      passages: data.passages.length,
      rows: data.textTokens.length,
      blocks: data.keywords.lengths.length,
      dimension,
      documents: data.documents.map((d) => d.source),
      documentPassages: passageCounts(data),
      hnsw: data.passages.length > graphAbove,
      files: {},
      vectorChunks: [],
    };
    const vectors = bytesOf(data.textVectors);
    const piece = chunkBytes(dimension);
    for (let at = 0; at < vectors.length; at += piece) meta.vectorChunks.push(sha256(vectors.subarray(at, at + piece)));
    for (const [file, content] of Object.entries(files)) {
      signal?.throwIfAborted();
      await writeDurable(path.join(temp, file), content);
      const raw = typeof content === 'string' ? Buffer.from(content) : content;
      meta.files[file] = { bytes: raw.length, sha256: sha256(raw) };
    }
    if (meta.hnsw) {
      await hnswOf(data, dimension, hnsw, signal).writeIndex(path.join(temp, 'hnsw.bin'));
      const raw = await readFile(path.join(temp, 'hnsw.bin'));
      meta.files['hnsw.bin'] = { bytes: raw.length, sha256: sha256(raw) };
    }
    signal?.throwIfAborted();
    // The meta goes last, sealed with its own checksum: a load trusts nothing it does not match.
    await writeDurable(path.join(temp, 'meta.json'), sealed(meta));
    await rename(temp, path.join(dir, name));
    return meta;
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** JSON with the SHA-256 of its own content as its last field, so that a changed byte shows. */
export function sealed(value: object): string {
  return JSON.stringify({ ...value, sha256: sha256(Buffer.from(JSON.stringify(value))) }, null, 1);
}

/** A sealed JSON read back; throws when it is not JSON or does not match its own checksum. */
export function unseal<T>(text: string, what: string): T {
  const { sha256: seal, ...value } = JSON.parse(text) as { sha256?: string };
  if (seal !== sha256(Buffer.from(JSON.stringify(value)))) throw new Error(`${what} does not match its checksum`);
  return value as T;
}

/** Files up to this size are read without yielding (see readWhole). */
const READ_AT_ONCE_MAX = 16 * 1024 * 1024;

/**
 * A file of `bytes` bytes, read whole. A small one (a change's segment is made of them) is read without yielding: a
 * server loading a new version under load waits a turn of the event loop, behind every search in flight, at each
 * read, which costs far more than the read. A large one (a start, a merge) is read in one request to the disk
 * (readFile asks in pieces of 512 kB, each a turn). Throws when the file is not of that size.
 */
export async function readWhole(file: string, bytes: number): Promise<Buffer> {
  if (bytes <= READ_AT_ONCE_MAX) {
    const data = readFileSync(file);
    if (data.length !== bytes) throw new Error(`${path.basename(file)} does not match its checksum`);
    return data;
  }
  const handle = await open(file, 'r');
  try {
    const data = Buffer.allocUnsafe(bytes);
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await handle.read(data, done, bytes - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    const { size } = await handle.stat();
    if (done !== bytes || size !== bytes) throw new Error(`${path.basename(file)} does not match its checksum`);
    return data;
  } finally {
    await handle.close();
  }
}

/** A segment's file, read once and checked against its meta; throws when it does not match. */
export async function verified(dir: string, meta: SegmentMeta, file: string): Promise<Buffer> {
  const want = meta.files[file];
  if (!want) throw new Error(`${file} does not match its checksum`);
  const data = await readWhole(path.join(dir, file), want.bytes);
  if (sha256(data) !== want.sha256) throw new Error(`${file} does not match its checksum`);
  return data;
}

/** Reads the meta of a segment folder (checked against its seal). */
export async function readSegmentMeta(dir: string): Promise<SegmentMeta> {
  // Small, and read at each load of a new version: read without yielding, as readWhole does.
  return unseal<SegmentMeta>(readFileSync(path.join(dir, 'meta.json'), 'utf8'), 'meta.json');
}

/** Loads segment `name` of `dir`, every file checked. Throws an Error saying what is wrong. */
export async function loadSegment(dir: string, name: string, efSearch: number): Promise<LoadedSegment> {
  const folder = path.join(dir, name);
  const meta = await readSegmentMeta(folder);
  // Every file read at once: a server loading a new version under load waits for the disk once, not at each file.
  const [passagesFile, rawVectors, hashesFile, tokensFile, keywordsFile, postingsFile, documentsFile] = await Promise.all(
    ['passages.json', 'vectors.f32', 'hashes.bin', 'tokens.u16', 'keywords.json', 'postings.bin', 'documents.jsonl', ...(meta.hnsw ? ['hnsw.bin'] : [])].map(
      (file) => verified(folder, meta, file),
    ),
  );
  const passages = JSON.parse(passagesFile.toString('utf8')) as PassageRecord[];
  if (passages.length !== meta.passages) throw new Error(`passages.json holds ${passages.length} passages for ${meta.passages}`);
  if (rawVectors.length !== meta.rows * meta.dimension * 4) throw new Error('vectors.f32 has the wrong size');
  const textVectors = view(Float32Array, 4, rawVectors, 0, meta.rows * meta.dimension);
  const textHashes = new Uint8Array(hashesFile);
  const textTokens = view(Uint16Array, 2, tokensFile, 0, meta.rows);
  const { terms, blockPassages } = JSON.parse(keywordsFile.toString('utf8')) as { terms: string[]; blockPassages: number[][] };
  const keywords = readPostings(postingsFile, terms);
  if (blockPassages.length !== meta.blocks || keywords.lengths.length !== meta.blocks) throw new Error('keywords.json and postings.bin disagree on the blocks');
  const documentLines = lineRanges(documentsFile);
  if (documentLines.length !== meta.documents.length) throw new Error(`documents.jsonl holds ${documentLines.length} documents for ${meta.documents.length}`);
  let hnsw: Hnsw | null = null;
  if (meta.hnsw) {
    hnsw = new HierarchicalNSW('cosine', meta.dimension);
    await hnsw.readIndex(path.join(folder, 'hnsw.bin'));
    if (hnsw.getCurrentCount() !== meta.passages) throw new Error(`hnsw.bin holds ${hnsw.getCurrentCount()} vectors for ${meta.passages} passages`);
    hnsw.setEf(efSearch);
  }
  const bySource = new Map<string, number[]>();
  passages.forEach((p, label) => (bySource.get(p.source) ?? bySource.set(p.source, []).get(p.source)!).push(label));
  return {
    name,
    dir: folder,
    meta,
    passages,
    textVectors,
    textHashes,
    textTokens,
    hnsw,
    keywords,
    termIds: new Map(terms.map((t, i) => [t, i])),
    blockPassages,
    blockSources: blockPassages.map((labels) => passages[labels[0]].source),
    bySource,
    documentLines: new Map(meta.documents.map((source, i) => [source, documentLines[i]])),
  };
}
