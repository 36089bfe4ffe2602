// The index on disk: each build is a complete folder of its own, and the CURRENT file names the one in use.
// A build is written beside the live one and made current by renaming CURRENT over itself, so a reader sees the old
// index or the new one, never a mixture, and a killed build leaves only a folder that nothing points to.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { AppError } from '../../errors.js';
import { HASH_BYTES, INDEX_FORMAT, buildName, type IndexManifest, type PassageRecord } from '../manifest.js';
import type { BuildData, ExtractedDocument, IndexExpectation, ReusableRow } from '../store.js';
import { reuseKey } from '../../ingest/extract.js';
import { documentsFile, lineRanges, parseDocuments } from './documents.js';

export { HASH_BYTES, INDEX_FORMAT, type IndexManifest, type PassageRecord };

const { HierarchicalNSW } = hnswlib;
export type Hnsw = InstanceType<typeof HierarchicalNSW>;

const CURRENT = 'CURRENT';

const BUILD_FILES = ['passages.json', 'documents.jsonl', 'vectors.f32', 'hashes.bin', 'tokens.u16', 'hnsw.bin'];

async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

export interface IndexData {
  manifest: IndexManifest;
  /** Every document's extracted text, in the manifest's order. */
  documents: ExtractedDocument[];
  passages: PassageRecord[];
  /** Passage vectors (the normalised mean of their sentences'); label i is passages[i]. */
  hnsw: Hnsw;
  /** Unit vectors of every distinct sentence text, row-major, `manifest.vectors` rows. */
  textVectors: Float32Array;
  /** SHA-1 of each row's text, 20 bytes a row: what lets the next build reuse the vectors of unchanged text. */
  textHashes: Uint8Array;
  /** Token count of each row's text, so the next build need not tokenize unchanged text to chunk it. */
  textTokens?: Uint16Array;
}

export interface LoadedIndex extends Omit<IndexData, 'documents'> {
  /** The build folder it was read from. */
  dir: string;
  /** The byte range of each document's line in documents.jsonl, in the manifest's order. */
  documentLines: { start: number; end: number }[];
}

async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `file` with `data` in one rename: readers see the old content or the new, never a part. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeDurable(temp, data);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** INDEX_WRITE_FAILED for a failure of the file system (the disk full, above all); other errors as they are. */
export function writeFailed(indexDir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('INDEX_WRITE_FAILED', path.resolve(indexDir), 'the disk is full');
  if (code && /^E[A-Z]+$/.test(code)) return new AppError('INDEX_WRITE_FAILED', path.resolve(indexDir), (err as Error).message);
  return err;
}

/** The HNSW graph of a build's passage vectors (label i is row i), with the build's own parameters. */
function hnswOf(build: BuildData, signal?: AbortSignal): Hnsw {
  const { dimension, hnsw: params } = build.manifest;
  const hnsw = new HierarchicalNSW('cosine', dimension);
  hnsw.initIndex(Math.max(1, build.passages.length), params.M, params.efConstruction);
  for (let label = 0; label < build.passages.length; label++) {
    if (label % 1024 === 0) signal?.throwIfAborted();
    hnsw.addPoint(Array.from(build.passageVectors.subarray(label * dimension, (label + 1) * dimension)), label);
  }
  return hnsw;
}

/** The manifest as written: its JSON with the SHA-256 of that JSON as its last field, so a changed byte shows. */
function sealedManifest(manifest: IndexManifest): string {
  const body = JSON.stringify(manifest);
  return JSON.stringify({ ...manifest, sha256: createHash('sha256').update(body).digest('hex') }, null, 2);
}

/** A manifest read back; throws when it is not JSON or does not match its own checksum. */
function openManifest(text: string): IndexManifest {
  const { sha256, ...manifest } = JSON.parse(text) as IndexManifest & { sha256?: string };
  if (sha256 !== createHash('sha256').update(JSON.stringify(manifest)).digest('hex')) throw new Error('manifest.json does not match its checksum');
  return manifest;
}

/** A build folder's manifest as written (not checked against its checksum: a load does that). */
export async function readManifest(dir: string): Promise<IndexManifest> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
}

/** What CURRENT may name: one build folder of the index folder, as buildName makes them (no path, no `..`). */
const BUILD_FOLDER = /^build-[0-9A-Za-z]+-[0-9a-f]+$/;

/**
 * The build folder CURRENT names, or null when there is none. Throws INDEX_INVALID when CURRENT names anything but
 * one build folder of `indexDir` (`../other/build-…`, an absolute path): no build is loaded from elsewhere.
 */
export async function currentBuild(indexDir: string): Promise<string | null> {
  const name = (await readFile(path.join(indexDir, CURRENT), 'utf8').catch(() => '')).trim();
  if (!name) return null;
  if (!BUILD_FOLDER.test(name)) throw new AppError('INDEX_INVALID', path.resolve(indexDir), `CURRENT names ${JSON.stringify(name.slice(0, 200))}, which is not a build folder of this index`);
  return path.join(indexDir, name);
}

/** The current build folder, or null when there is none or CURRENT is not to be trusted (a new build replaces it). */
const currentOrNone = (indexDir: string) => currentBuild(indexDir).catch(() => null);

/**
 * Writes a complete build folder, then points CURRENT at it; older builds (but the one just replaced) and folders left
 * by killed builds are removed afterwards. Returns the new build folder.
 */
export async function saveIndex(indexDir: string, build: BuildData, signal?: AbortSignal): Promise<string> {
  const data: IndexData = { ...build, hnsw: hnswOf(build, signal) };
  await mkdir(indexDir, { recursive: true });
  const name = buildName();
  const temp = path.join(indexDir, `${name}.partial`);
  const final = path.join(indexDir, name);
  await mkdir(temp);
  try {
    await writeDurable(path.join(temp, 'passages.json'), JSON.stringify(data.passages));
    await writeDurable(path.join(temp, 'documents.jsonl'), documentsFile(data.documents));
    await writeDurable(path.join(temp, 'vectors.f32'), new Uint8Array(data.textVectors.buffer, data.textVectors.byteOffset, data.textVectors.byteLength));
    await writeDurable(path.join(temp, 'hashes.bin'), data.textHashes);
    const tokens = data.textTokens ?? new Uint16Array(data.textHashes.length / HASH_BYTES);
    await writeDurable(path.join(temp, 'tokens.u16'), new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength));
    await data.hnsw.writeIndex(path.join(temp, 'hnsw.bin'));
    // The manifest goes last and carries every file's size and checksum: a load trusts nothing it does not match.
    const files: IndexManifest['files'] = {};
    for (const name of BUILD_FILES) files[name] = await fileDigest(path.join(temp, name));
    await writeDurable(path.join(temp, 'manifest.json'), sealedManifest({ ...data.manifest, files }));
    // A build stopped now leaves nothing behind; past this point it is made current.
    signal?.throwIfAborted();
    await rename(temp, final);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    if (signal?.aborted) throw err;
    throw writeFailed(indexDir, err);
  }
  const previous = await currentOrNone(indexDir);
  try {
    await writeFileAtomic(path.join(indexDir, CURRENT), `${name}\n`);
  } catch (err) {
    // Not made current: the new folder goes, and the previous build stays in use.
    await rm(final, { recursive: true, force: true });
    throw writeFailed(indexDir, err);
  }
  await pruneBuilds(indexDir, [final, previous].filter((d): d is string => d !== null));
  return final;
}

/** Removes build folders other than `keep`, including partial ones of builds that died. */
async function pruneBuilds(indexDir: string, keep: string[]): Promise<void> {
  const keepNames = new Set(keep.map((d) => path.basename(d)));
  for (const entry of await readdir(indexDir)) {
    if (entry.startsWith('build-') && !keepNames.has(entry)) {
      await rm(path.join(indexDir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Loads the current build and checks it is whole and made with the expected embedder.
 * Throws INDEX_NOT_READY (nothing built), INDEX_INVALID (damaged) or INDEX_MODEL_MISMATCH.
 */
export async function loadIndex(indexDir: string, expect: IndexExpectation, efSearch: number): Promise<LoadedIndex> {
  const dir = await currentBuild(indexDir);
  if (!dir) throw new AppError('INDEX_NOT_READY', path.resolve(indexDir));
  const invalid = (why: string) => new AppError('INDEX_INVALID', dir, why);
  let manifest: IndexManifest;
  let passages: PassageRecord[];
  try {
    manifest = openManifest(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    passages = JSON.parse(await readFile(path.join(dir, 'passages.json'), 'utf8'));
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (manifest.format !== INDEX_FORMAT) throw invalid(`format ${manifest.format} is not ${INDEX_FORMAT}; rebuild it`);
  for (const name of BUILD_FILES) {
    const want = manifest.files?.[name];
    const got = await fileDigest(path.join(dir, name)).catch(() => null);
    if (!want || !got || want.bytes !== got.bytes || want.sha256 !== got.sha256) throw invalid(`${name} does not match its checksum`);
  }
  if (manifest.modelId !== expect.modelId || manifest.dimension !== expect.dimension || manifest.embedder !== expect.fingerprint) {
    throw new AppError('INDEX_MODEL_MISMATCH', dir, `${manifest.embedder} (${manifest.dimension}-d)`, `${expect.fingerprint} (${expect.dimension}-d)`);
  }
  if (passages.length !== manifest.passages) throw invalid(`${passages.length} passages, the manifest says ${manifest.passages}`);
  const raw = await readFile(path.join(dir, 'vectors.f32')).catch((err) => {
    throw invalid((err as Error).message);
  });
  if (raw.length !== manifest.vectors * manifest.dimension * 4) throw invalid('vectors.f32 has the wrong size');
  // A large file's buffer is its own and aligned: viewed in place, not copied (the vectors are most of an index).
  const textVectors = raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const textHashes = new Uint8Array(await readFile(path.join(dir, 'hashes.bin')).catch((err) => {
    throw invalid((err as Error).message);
  }));
  if (textHashes.length !== manifest.vectors * HASH_BYTES) throw invalid('hashes.bin has the wrong size');
  const documentLines = lineRanges(await readFile(path.join(dir, 'documents.jsonl')).catch(() => Buffer.alloc(0)));
  if (documentLines.length !== manifest.documents.length) throw invalid(`documents.jsonl holds ${documentLines.length} documents for ${manifest.documents.length}`);
  const hnsw = new HierarchicalNSW('cosine', manifest.dimension);
  try {
    await hnsw.readIndex(path.join(dir, 'hnsw.bin'));
  } catch (err) {
    throw invalid(`hnsw.bin: ${(err as Error).message}`);
  }
  if (hnsw.getCurrentCount() !== manifest.passages) throw invalid(`hnsw.bin holds ${hnsw.getCurrentCount()} vectors for ${manifest.passages} passages`);
  hnsw.setEf(efSearch);
  return { dir, manifest, documentLines, passages, hnsw, textVectors, textHashes };
}

/** A build file's content, only when it matches the size and checksum its manifest gives. */
async function verifiedFile(dir: string, name: string, manifest: IndexManifest): Promise<Buffer | null> {
  const want = manifest.files?.[name];
  const data = await readFile(path.join(dir, name)).catch(() => null);
  if (!want || !data || data.length !== want.bytes) return null;
  return createHash('sha256').update(data).digest('hex') === want.sha256 ? data : null;
}

/**
 * The rows of the current build keyed by text hash (hex): each text's token count, and its vector if it was embedded
 * under `fingerprint`. Only files that match their checksums are used: a damaged build offers nothing to reuse.
 */
export async function reusableRows(indexDir: string, fingerprint: string): Promise<Map<string, ReusableRow>> {
  const out = new Map<string, ReusableRow>();
  const dir = await currentOrNone(indexDir);
  if (!dir) return out;
  try {
    const manifest = await readManifest(dir);
    const hashes = await verifiedFile(dir, 'hashes.bin', manifest);
    if (!hashes || hashes.length !== manifest.vectors * HASH_BYTES) return out;
    const rawTokens = await verifiedFile(dir, 'tokens.u16', manifest);
    const tokens = rawTokens?.length === manifest.vectors * 2 ? new Uint16Array(rawTokens.buffer, rawTokens.byteOffset, manifest.vectors) : null;
    // A row is a text's hash and its vector: valid under the same embedder whatever the build's format.
    const raw = manifest.embedder === fingerprint ? await verifiedFile(dir, 'vectors.f32', manifest) : null;
    const d = manifest.dimension;
    const vectors = raw?.length === manifest.vectors * d * 4 ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : null;
    // Token counts depend on the tokenizer only, which the fingerprint's model names.
    const sameModel = JSON.parse(manifest.embedder)[0] === JSON.parse(fingerprint)[0];
    for (let row = 0; row < manifest.vectors; row++) {
      out.set(hashes.toString('hex', row * HASH_BYTES, (row + 1) * HASH_BYTES), {
        tokens: sameModel && tokens ? tokens[row] : undefined,
        vector: vectors?.subarray(row * d, (row + 1) * d),
      });
    }
  } catch {
    out.clear();
  }
  return out;
}

/** The current build's documents by reuse key, when their file verifies and readers of version `extractor` made them. */
export async function reusableDocuments(indexDir: string, extractor: number): Promise<Map<string, ExtractedDocument>> {
  const out = new Map<string, ExtractedDocument>();
  const dir = await currentOrNone(indexDir);
  if (!dir) return out;
  try {
    const manifest = await readManifest(dir);
    if (manifest.extractor !== extractor) return out;
    const data = await verifiedFile(dir, 'documents.jsonl', manifest);
    for (const d of data ? parseDocuments(data) : []) out.set(reuseKey(d), d);
  } catch {
    out.clear();
  }
  return out;
}
