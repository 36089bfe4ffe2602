// An embedder whose vectors are given by the test: each known text has a vector written down beside it, so every
// cosine, and so every meaning score, can be worked out by hand. Unknown text is an error, never a guess.
import type { Embedder } from '../../src/model/embedder.js';

export function fixedEmbedder(sentences: Record<string, number[]>, queries: Record<string, number[]>, dimension = 4): Embedder {
  const vocabulary = new Map<string, number>();
  const words: string[] = [];
  const idOf = (w: string) => {
    let id = vocabulary.get(w);
    if (id === undefined) vocabulary.set(w, (id = words.push(w) - 1));
    return id;
  };
  const unit = (v: number[], what: string) => {
    if (v.length !== dimension) throw new Error(`${what}: ${v.length} values, not ${dimension}`);
    const norm = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / norm);
  };
  const lookup = (table: Record<string, number[]>, text: string) => {
    const v = table[text];
    if (!v) throw new Error(`no vector was given for ${JSON.stringify(text)}`);
    return unit(v, text);
  };
  return {
    modelId: 'fixed',
    fingerprint: JSON.stringify(['fixed', dimension]),
    dimension,
    maxTokens: 512,
    tokenize: (text) => Int32Array.from(text.split(/\s+/).filter(Boolean), idOf),
    embedPassages: async (texts) => texts.map((t) => lookup(sentences, typeof t === 'string' ? t : Array.from(t, (id) => words[id]).join(' '))),
    embedQueries: async (texts) => texts.map((t) => lookup(queries, t)),
    dispose: async () => undefined,
  };
}
