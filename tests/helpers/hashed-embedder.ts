// An embedder for corpora too large to write vectors down for: each text's vector is drawn from its SHA-256, so the
// same text has the same vector in every store and every run, and different texts point every which way.
import { createHash } from 'node:crypto';
import type { Embedder } from '../../src/model/embedder.js';

/** A unit vector of `dimension` values drawn from the text's hash. */
export function hashedVector(text: string, dimension: number): Float32Array {
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i += 8) {
    const digest = createHash('sha256').update(`${i}\0${text}`).digest();
    for (let j = 0; j < 8 && i + j < dimension; j++) out[i + j] = digest.readInt32LE(j * 4) / 2 ** 31;
  }
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

export function hashedEmbedder(dimension = 16): Embedder {
  const vocabulary = new Map<string, number>();
  const words: string[] = [];
  const idOf = (w: string) => vocabulary.get(w) ?? (vocabulary.set(w, words.length), words.push(w) - 1);
  const textOf = (t: string | Int32Array) => (typeof t === 'string' ? t : Array.from(t, (id) => words[id]).join(' '));
  return {
    modelId: 'hashed',
    fingerprint: JSON.stringify(['hashed', dimension]),
    dimension,
    maxTokens: 512,
    tokenize: (text) => Int32Array.from(text.split(/\s+/).filter(Boolean), idOf),
    embedPassages: async (texts) => texts.map((t) => hashedVector(textOf(t), dimension)),
    embedQueries: async (texts) => texts.map((t) => hashedVector(`query: ${t}`, dimension)),
    dispose: async () => undefined,
  };
}

const WORDS =
  'apple pear plum fig quay boat net harbour market stall ledger frost cider press barn graft scion wax tape bud spring autumn winter cellar crate valley farm oak iron frame keeper ferry island lamp tide rope sail gull reef'.split(
    ' ',
  );

/** `count` documents of sentences over a small vocabulary (a seeded generator: the same corpus every run). */
export function wordCorpus(count: number, seed = 7): Record<string, string> {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state / 2 ** 31);
  const word = () => WORDS[Math.floor(next() * WORDS.length)];
  const sentence = () => `The ${word()} and the ${word()} by the ${word()} ${word()}s.`.replace(/^./, (c) => c.toUpperCase());
  const paragraph = () => Array.from({ length: 3 }, sentence).join(' ');
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`doc-${String(i).padStart(3, '0')}.txt`, Array.from({ length: 3 }, paragraph).join('\n\n')]),
  );
}
