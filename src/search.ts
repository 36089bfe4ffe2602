// Query → vector and lexical candidates → fusion → answering-sentence highlight → hits.
import type { QueryEmbedder } from './embedding.js';
import type { LoadedIndex, PassageRecord } from './index-store.js';
import { createLexicalIndex, terms, type Bm25Params, type LexicalIndex } from './lexical.js';

export interface SearchSettings {
  /** Candidates taken from each side (vector and lexical) before fusion. */
  depth: number;
  /** Weight of the meaning score in the fused score. */
  vectorWeight: number;
  /** Weight of the keyword score in the fused score. */
  lexicalWeight: number;
  /** Leave out passages that repeat what a better hit already shows. */
  dedup: boolean;
  /** BM25 parameters of the keyword side. */
  bm25: Bm25Params;
  /** Scale the keyword weight by how much of the query the best keyword match covers. */
  coverage: boolean;
}

export interface SearchHit {
  id: string;
  /** Fused score: weighted meaning (cosine) plus weighted keyword match; see the README. */
  score: number;
  text: string;
  source: string;
  start: number;
  end: number;
  /** The answering sentence: offsets into `text`. */
  highlight: { start: number; end: number; text: string };
}

export interface SearchTimings {
  embedMs: number;
  vectorMs: number;
  lexicalMs: number;
  fusionMs: number;
}

export interface SearchResult {
  hits: SearchHit[];
  timings: SearchTimings;
}

/** A loaded index with everything a query needs. */
export interface SearchEngine {
  index: LoadedIndex;
  /** BM25 over blocks (paragraphs): label b is the block of `blockPassages[b]`. */
  lexical: LexicalIndex;
  /** The passage labels of each block. */
  blockPassages: number[][];
  embedder: QueryEmbedder;
  settings: SearchSettings;
}

/**
 * The text of each block, rebuilt from its passages' sentences, and the passages of each block. Keyword evidence is
 * weighed per block: a paragraph that holds the query's terms supports each of its windows, even the ones that
 * cut some of those terms off.
 */
export function blocksOf(passages: PassageRecord[]): { texts: string[]; passages: number[][] } {
  const sentences = new Map<number, Map<number, string>>();
  const members: number[][] = [];
  passages.forEach((p, label) => {
    (members[p.block] ??= []).push(label);
    const seen = sentences.get(p.block) ?? new Map<number, string>();
    sentences.set(p.block, seen);
    for (const s of p.sentences) seen.set(s.start, p.text.slice(s.start - p.start, s.end - p.start));
  });
  const texts = members.map((_, block) => [...sentences.get(block)!.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join(' '));
  return { texts, passages: members };
}

/** Wires an index to its lexical side and the embedder. */
export function createSearchEngine(index: LoadedIndex, embedder: QueryEmbedder, settings: SearchSettings): SearchEngine {
  const blocks = blocksOf(index.passages);
  return { index, lexical: createLexicalIndex(blocks.texts, settings.bm25), blockPassages: blocks.passages, embedder, settings };
}

/** Dot product of `a` with row `row` of `vectors` (rows of a.length), four lanes at a time. */
function dot(a: Float32Array, vectors: Float32Array, row: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  const tail = n - (n % 4);
  let j = row * n;
  let i = 0;
  for (; i < tail; i += 4, j += 4) {
    s0 += a[i] * vectors[j];
    s1 += a[i + 1] * vectors[j + 1];
    s2 += a[i + 2] * vectors[j + 2];
    s3 += a[i + 3] * vectors[j + 3];
  }
  for (; i < n; i++, j++) s0 += a[i] * vectors[j];
  return s0 + s1 + s2 + s3;
}

/** Cosines of the query to sentence vectors, each computed once per query (overlapping windows share sentences). */
function sentenceCosines(engine: SearchEngine, queryVector: Float32Array): (row: number) => number {
  const known = new Map<number, number>();
  return (row) => {
    let cos = known.get(row);
    if (cos === undefined) known.set(row, (cos = dot(queryVector, engine.index.textVectors, row)));
    return cos;
  };
}

interface Candidate {
  label: number;
  vector: number;
  lexical: number;
  score: number;
}

/**
 * Scores one passage by meaning: the mean of its own cosine to the query and its best sentence's, so a passage
 * whose one sentence answers the question is not drowned by the sentences around it.
 */
function vectorEvidence(engine: SearchEngine, label: number, cosine: (row: number) => number): number {
  const passage = engine.index.passages[label];
  let bestCos = -Infinity;
  let sum = 0;
  for (const s of passage.sentences) {
    const cos = cosine(s.row);
    sum += cos;
    bestCos = Math.max(bestCos, cos);
  }
  // The passage vector is the normalised sum of its sentence vectors, so its cosine is the sum of theirs over that norm.
  return (sum / passage.norm + bestCos) / 2;
}

/** The answering sentence of a hit: the closest in meaning, preferring among close ones the one sharing the query's terms. */
function answeringSentence(engine: SearchEngine, label: number, cosine: (row: number) => number, queryTerms: Set<string>): number {
  const passage = engine.index.passages[label];
  let best = 0;
  let bestPick = -Infinity;
  passage.sentences.forEach((s, i) => {
    const sentenceTerms = terms(passage.text.slice(s.start - passage.start, s.end - passage.start));
    const shared = queryTerms.size ? sentenceTerms.filter((t) => queryTerms.has(t)).length / queryTerms.size : 0;
    const pick = cosine(s.row) + 0.25 * Math.min(1, shared);
    if (pick > bestPick) {
      bestPick = pick;
      best = i;
    }
  });
  return best;
}

/**
 * Fuses the two sides by score: a weighted sum of the meaning score (cosine, in [-1, 1]) and the keyword score
 * (BM25 divided by the query's best BM25, in [0, 1]; the caller scales its weight by the query's coverage).
 * Candidates are the union of both sides' top `depth`.
 */
export function fuseCandidates(
  vectorLabels: number[],
  lexicalHits: { label: number; score: number }[],
  meaning: (label: number) => number,
  weights: { vector: number; lexical: number },
): Candidate[] {
  const top = lexicalHits.length ? lexicalHits[0].score : 0;
  const lexical = new Map(lexicalHits.map((h) => [h.label, top > 0 ? h.score / top : 0]));
  const labels = new Set([...vectorLabels, ...lexical.keys()]);
  const out: Candidate[] = [];
  for (const label of labels) {
    const vector = meaning(label);
    const lex = lexical.get(label) ?? 0;
    out.push({ label, vector, lexical: lex, score: weights.vector * vector + weights.lexical * lex });
  }
  return out.sort((a, b) => b.score - a.score || a.label - b.label);
}

/**
 * A passage adds nothing new when its answering sentence is already shown, or when most of its sentences are:
 * overlapping windows and repeated text would otherwise fill the top results with the same words.
 */
export function isRedundant(passage: PassageRecord, answering: number, shown: Set<number>): boolean {
  if (shown.has(passage.sentences[answering].row)) return true;
  const repeated = passage.sentences.filter((s) => shown.has(s.row)).length;
  return repeated * 2 > passage.sentences.length;
}

/** Answers a query with up to `k` hits scoring at least `minScore`, best first. */
export async function search(engine: SearchEngine, query: string, k: number, minScore = -Infinity): Promise<SearchResult> {
  const { index, settings } = engine;
  const depth = Math.min(settings.depth, index.passages.length);
  let t = performance.now();
  const [queryVector] = await engine.embedder.embedQueries([query]);
  const embedMs = performance.now() - t;

  t = performance.now();
  const knn = depth > 0 ? index.hnsw.searchKnn(Array.from(queryVector), depth) : { neighbors: [], distances: [] };
  const vectorMs = performance.now() - t;

  t = performance.now();
  const lexicalHits: { label: number; score: number }[] = [];
  const lexical = engine.lexical.searchWithCoverage(query, depth);
  // The best blocks' passages, whole blocks at a time, until there are `depth` of them: a long paragraph has many.
  for (const block of lexical.hits) {
    if (lexicalHits.length >= depth) break;
    for (const label of engine.blockPassages[block.label]) lexicalHits.push({ label, score: block.score });
  }
  const lexicalMs = performance.now() - t;

  t = performance.now();
  const queryTerms = new Set(terms(query));
  const cosine = sentenceCosines(engine, queryVector);
  const fused = fuseCandidates(knn.neighbors, lexicalHits, (label) => vectorEvidence(engine, label, cosine), {
    vector: settings.vectorWeight,
    // Keyword evidence counts as much as the best match covers the question's words (by IDF): fully for a question
    // in the text's own words, little for a paraphrase, where meaning should lead.
    lexical: settings.lexicalWeight * (settings.coverage ? lexical.coverage : 1),
  });
  const hits: SearchHit[] = [];
  const shown = new Set<number>();
  for (const c of fused) {
    if (hits.length >= k || c.score < minScore) break;
    const p = index.passages[c.label];
    const answering = answeringSentence(engine, c.label, cosine, queryTerms);
    if (settings.dedup && isRedundant(p, answering, shown)) continue;
    for (const x of p.sentences) shown.add(x.row);
    const s = p.sentences[answering];
    const start = s.start - p.start;
    const end = s.end - p.start;
    hits.push({
      id: p.id,
      score: Number(c.score.toFixed(6)),
      text: p.text,
      source: p.source,
      start: p.start,
      end: p.end,
      highlight: { start, end, text: p.text.slice(start, end) },
    });
  }
  const fusionMs = performance.now() - t;
  return { hits, timings: { embedMs, vectorMs, lexicalMs, fusionMs } };
}
