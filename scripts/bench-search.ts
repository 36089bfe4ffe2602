// Benchmark sections on the embedding and search paths, each with its baseline measured in the same run:
// - embedding: the build's embedder against the same model called directly through onnxruntime-node, same texts,
//   same tokens, same batches;
// - HNSW: recall@10 against exact search over the same passage vectors, over a few efSearch values;
// - query latency split: embed, vector search, keyword search, fusion.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { splitBlocks, splitSentences } from '../src/ingest/chunking.js';
import type { Embedder } from '../src/model/embedder.js';
import { search } from '../src/search/search.js';
import type { SearchEngine } from '../src/search/engine.js';
import type { LoadedSegment } from '../src/index/files/segments.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Sentences of a text, as the build would embed them. */
export async function sampleSentences(file: string, count: number): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const out: string[] = [];
  for (const block of splitBlocks(text)) {
    for (const s of splitSentences(block)) {
      const t = s.text.replace(/\s+/g, ' ');
      if (t.length > 15) out.push(t);
      if (out.length >= count) return out;
    }
  }
  return out;
}

/**
 * Texts per second of raw onnxruntime-node, of the build's embedding stage (token ids from chunking, as a build
 * has them) and of the embedder given plain text (tokenizing included), on the same batches; best of `rounds`.
 */
export async function embeddingThroughput(embedder: Embedder, modelDir: string, texts: string[], batchSize: number, rounds = 3) {
  env.localModelPath = path.dirname(modelDir) + path.sep;
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(modelDir));
  const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model.onnx'), { logSeverityLevel: 3 });
  // The raw side gets the same batches (texts of about one token length together, as the embedder groups them),
  // prepared in advance: the ratio then charges the pipeline with all it does around the model.
  const ids = texts.map((t) => embedder.tokenize(t));
  const order = texts.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
  const feeds: Record<string, ort.Tensor>[] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const batch = tokenizer(
      order.slice(i, i + batchSize).map((j) => texts[j]),
      { padding: true, truncation: true, max_length: embedder.maxTokens },
    );
    feeds.push({
      input_ids: new ort.Tensor('int64', batch.input_ids.data as BigInt64Array, batch.input_ids.dims),
      attention_mask: new ort.Tensor('int64', batch.attention_mask.data as BigInt64Array, batch.attention_mask.dims),
    });
  }
  await session.run(feeds[0]);
  await embedder.embedPassages(texts.slice(0, batchSize));
  let raw = Infinity;
  let stage = Infinity;
  let withTokenizing = Infinity;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (const f of feeds) await session.run(f);
    raw = Math.min(raw, performance.now() - t);
    t = performance.now();
    await embedder.embedPassages(ids);
    stage = Math.min(stage, performance.now() - t);
    t = performance.now();
    await embedder.embedPassages(texts);
    withTokenizing = Math.min(withTokenizing, performance.now() - t);
  }
  await session.release();
  const perS = (ms: number) => (texts.length / ms) * 1000;
  return {
    texts: texts.length,
    rawPerS: Math.round(perS(raw)),
    buildPerS: Math.round(perS(stage)),
    textPerS: Math.round(perS(withTokenizing)),
    embedRatio: Number((raw / stage).toFixed(3)),
    textRatio: Number((raw / withTokenizing).toFixed(3)),
  };
}

/**
 * recall@10 of the files store's vector search (HNSW in each segment that has one, merged) against scoring every
 * passage, for each efSearch.
 */
export async function hnswRecall(engine: SearchEngine, queries: string[], efs: number[], configuredEf: number) {
  const reader = engine.reader as SearchEngine['reader'] & { segments: LoadedSegment[]; nearestExact(q: Float32Array, k: number): number[] };
  const queryVectors = await engine.embedder.embedQueries(queries);
  const exact = queryVectors.map((q) => new Set(reader.nearestExact(q, 10)));
  const setEf = (ef: number) => reader.segments.forEach((s) => s.hnsw?.setEf(ef));
  const curve = [];
  for (const ef of efs) {
    setEf(ef);
    let found = 0;
    const started = performance.now();
    for (const [i, q] of queryVectors.entries()) for (const label of await reader.nearest(q, 10)) if (exact[i].has(label)) found++;
    curve.push({
      ef,
      recall10: Number((found / (queryVectors.length * 10)).toFixed(4)),
      msPerQuery: Number(((performance.now() - started) / queryVectors.length).toFixed(3)),
    });
  }
  setEf(configuredEf);
  return curve;
}

/** Median milliseconds of each stage of a search, over the queries (each asked once, after one warm-up). */
export async function latencySplit(engine: SearchEngine, queries: string[]) {
  await search(engine, queries[0], { k: 5 });
  const stages = { embedMs: [] as number[], vectorMs: [] as number[], lexicalMs: [] as number[], fusionMs: [] as number[], totalMs: [] as number[] };
  for (const q of queries) {
    const started = performance.now();
    const { timings } = await search(engine, q, { k: 5 });
    stages.totalMs.push(performance.now() - started);
    stages.embedMs.push(timings.embedMs);
    stages.vectorMs.push(timings.vectorMs);
    stages.lexicalMs.push(timings.lexicalMs);
    stages.fusionMs.push(timings.fusionMs);
  }
  return Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Number(median(v).toFixed(2))]));
}
