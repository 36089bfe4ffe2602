// The seam between the model and the rest: what a search and a build need from an embedder. Tests supply their own.
import { AppError } from '../errors.js';

export interface QueryOptions {
  /** Aborted when the question's request is given up on: a query still waiting for the model is dropped. */
  signal?: AbortSignal;
}

/** Turns questions into unit-length vectors: all a search needs. */
export interface QueryEmbedder {
  readonly modelId: string;
  /** Changes whenever the same passage text would get another vector (model, pooling, prefix): vectors are reused only under the same one. */
  readonly fingerprint: string;
  readonly dimension: number;
  /**
   * Queries asked at about the same time share one model call. Throws OVERLOADED when too many wait for the model,
   * and the signal's reason when it is aborted first.
   */
  embedQueries(texts: string[], options?: QueryOptions): Promise<Float32Array[]>;
  /** Questions waiting for the model now, where the embedder queues them. */
  pendingQueries?(): number;
  dispose(): Promise<void>;
}

/** Turns text into unit-length vectors, for builds and searches. Tests may supply their own; commands use createEmbedder. */
export interface Embedder extends QueryEmbedder {
  /** Token limit of one input, special tokens excluded. */
  readonly maxTokens: number;
  /** Token ids of a text as it is embedded (white space folded), without prefix or special tokens. */
  tokenize(text: string): Int32Array;
  /** Passages as text, or as the ids `tokenize` gave for them (a build tokenizes each text once, while chunking). */
  embedPassages(texts: (string | Int32Array)[]): Promise<Float32Array[]>;
}

export interface EmbedderOptions {
  model: string;
  modelsDir: string;
  batchSize: number;
  allowRemote: boolean;
  pooling?: 'auto' | 'mean' | 'cls';
  queryPrefix?: string;
  passagePrefix?: string;
  /** Questions that may wait for the model at once; past it, OVERLOADED. */
  maxQueuedQueries?: number;
}

/**
 * Scales a vector to unit length, in place. Throws MODEL_OUTPUT_INVALID when it holds a value that is not finite or
 * is all zeros: such a vector would compare as anything, so it must reach neither an index nor a response.
 */
export function unitVector(v: Float32Array, modelId: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  if (!Number.isFinite(sum) || sum === 0)
    throw new AppError('MODEL_OUTPUT_INVALID', modelId, Number.isFinite(sum) ? 'all zeros' : 'values that are not finite');
  const norm = Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Throws MODEL_OUTPUT_INVALID unless every value of `v` is finite: what the index and the ranking take on trust. */
export function checkFinite(v: Float32Array, modelId: string): Float32Array {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new AppError('MODEL_OUTPUT_INVALID', modelId, 'values that are not finite');
  return v;
}

/** The cosine of two vectors of the same length. */
export function cosine(a: Float32Array, b: Float32Array): number {
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
