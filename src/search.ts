// Query → vector and lexical candidates → fusion → answering-sentence highlight → hits.
import type { QueryEmbedder } from './embedding.js';
import type { LoadedIndex, PassageRecord } from './index-store.js';
import { createLexicalIndex, terms, type Bm25Params, type LexicalIndex } from './lexical.js';

/**
 * How much of a hit's score comes from the keyword side: `min` for a question in other words than the text's, `max`
 * for one in its own words, switching over around `midpoint` of the query's coverage (see `keywordShare`).
 */
export interface KeywordShare {
  min: number;
  max: number;
  midpoint: number;
}

export interface SearchSettings {
  /** Candidates taken from each side (vector and lexical) before fusion. */
  depth: number;
  /** The keyword side's share of the fused score, by the query's coverage. */
  keywordShare: KeywordShare;
  /** Leave out passages that repeat what a better hit already shows. */
  dedup: boolean;
  /** BM25 parameters of the keyword side. */
  bm25: Bm25Params;
}

export interface SearchHit {
  id: string;
  /** Fused score: the meaning score and the keyword score mixed by the query's keyword share; see the README. */
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

/** A candidate passage with the evidence of both sides. */
export interface Candidate {
  label: number;
  /** Cosine of the query to the passage's closest sentence. */
  meaning: number;
  /** Its block's BM25 over the BM25 a block of average length holding each query term once would get; 0 when none. */
  keyword: number;
  score: number;
}

/**
 * The meaning score of a passage: the cosine of its closest sentence to the query. A passage answers with one
 * sentence; its other sentences, which are about something else, should not pull it down.
 */
function meaningOf(engine: SearchEngine, label: number, cosine: (row: number) => number): number {
  let best = -Infinity;
  for (const s of engine.index.passages[label].sentences) best = Math.max(best, cosine(s.row));
  return best;
}

/** Steepness of the switch from the paraphrase share to the own-words share (per unit of coverage). */
const SHARE_STEEPNESS = 32;

/**
 * The keyword side's share of the fused score for a query whose best keyword match covers `coverage` of it: a
 * logistic step from `min` to `max` centred on `midpoint`. A question in the text's own words is best answered by
 * keywords, a paraphrase by meaning; coverage tells them apart.
 */
export function keywordShare(coverage: number, share: KeywordShare): number {
  return share.min + (share.max - share.min) / (1 + Math.exp(-SHARE_STEEPNESS * (coverage - share.midpoint)));
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

/** The fused score of a passage: `(1 − share) × meaning + share × keyword`. */
export function fusedScore(meaning: number, keyword: number, share: number): number {
  return (1 - share) * meaning + share * keyword;
}

/**
 * Fuses the two sides by score (`fusedScore`) over the union of both sides' candidates (a passage only one side found
 * gets 0 from the other: no keyword, or its cosine all the same).
 */
export function fuseCandidates(
  vectorLabels: number[],
  keywordHits: { label: number; score: number }[],
  meaning: (label: number) => number,
  share: number,
): Candidate[] {
  const keyword = new Map(keywordHits.map((h) => [h.label, h.score]));
  const labels = new Set([...vectorLabels, ...keyword.keys()]);
  const out: Candidate[] = [];
  for (const label of labels) {
    const m = meaning(label);
    const k = keyword.get(label) ?? 0;
    out.push({ label, meaning: m, keyword: k, score: fusedScore(m, k, share) });
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

/** The fused candidates of a query, best first, and what the rest of a search needs from their making. */
export interface Ranking {
  candidates: Candidate[];
  /** Cosine of the query to a sentence vector row. */
  cosine: (row: number) => number;
  timings: SearchTimings;
}

/** Embeds the query, takes both sides' candidates and fuses them. */
export async function rank(engine: SearchEngine, query: string): Promise<Ranking> {
  const { index, settings } = engine;
  const depth = Math.min(settings.depth, index.passages.length);
  let t = performance.now();
  const [queryVector] = await engine.embedder.embedQueries([query]);
  const embedMs = performance.now() - t;

  t = performance.now();
  const knn = depth > 0 ? index.hnsw.searchKnn(Array.from(queryVector), depth) : { neighbors: [], distances: [] };
  const vectorMs = performance.now() - t;

  t = performance.now();
  const keywordHits: { label: number; score: number }[] = [];
  const lexical = engine.lexical.searchWithCoverage(query, depth);
  // The best blocks' passages, whole blocks at a time, until there are `depth` of them: a long paragraph has many.
  for (const block of lexical.hits) {
    if (keywordHits.length >= depth) break;
    for (const label of engine.blockPassages[block.label]) keywordHits.push({ label, score: block.score / lexical.queryIdf });
  }
  const lexicalMs = performance.now() - t;

  t = performance.now();
  const cosine = sentenceCosines(engine, queryVector);
  const share = keywordShare(lexical.coverage, settings.keywordShare);
  const candidates = fuseCandidates(knn.neighbors, keywordHits, (label) => meaningOf(engine, label, cosine), share);
  return { candidates, cosine, timings: { embedMs, vectorMs, lexicalMs, fusionMs: performance.now() - t } };
}

/** Answers a query with up to `k` hits scoring at least `minScore`, best first. */
export async function search(engine: SearchEngine, query: string, k: number, minScore = -Infinity): Promise<SearchResult> {
  const { index, settings } = engine;
  const ranking = await rank(engine, query);
  const t = performance.now();
  const queryTerms = new Set(terms(query));
  const hits: SearchHit[] = [];
  const shown = new Set<number>();
  for (const c of ranking.candidates) {
    // Compared as returned (rounded), so a hit's own score as minScore keeps that hit.
    const score = Number(c.score.toFixed(6));
    if (hits.length >= k || score < minScore) break;
    const p = index.passages[c.label];
    const answering = answeringSentence(engine, c.label, ranking.cosine, queryTerms);
    if (settings.dedup && isRedundant(p, answering, shown)) continue;
    for (const x of p.sentences) shown.add(x.row);
    const s = p.sentences[answering];
    const start = s.start - p.start;
    const end = s.end - p.start;
    hits.push({
      id: p.id,
      score,
      text: p.text,
      source: p.source,
      start: p.start,
      end: p.end,
      highlight: { start, end, text: p.text.slice(start, end) },
    });
  }
  // Fusion is timed with the making of the hits: highlight and dedup.
  return { hits, timings: { ...ranking.timings, fusionMs: ranking.timings.fusionMs + performance.now() - t } };
}
