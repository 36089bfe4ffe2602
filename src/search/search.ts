// Ranking → hits: the answering sentence of each passage marked, passages that repeat a better hit left out.
import type { PassageRecord } from '../index/store.js';
import type { SearchEngine } from './engine.js';
import type { Candidate } from './fusion.js';
import { terms } from '../index/lexical.js';
import { checkDeadline } from './deadline.js';
import { rank, type Ranking, type SearchTimings } from './rank.js';

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

export interface SearchResult {
  hits: SearchHit[];
  timings: SearchTimings;
}

/** How much sharing the query's terms adds to a sentence's cosine when the answering sentence is picked. */
export const TERM_BONUS = 0.25;

/**
 * The answering sentence of a passage (its index): the closest in meaning, preferring among close ones the one that
 * shares the query's terms; the first of equals.
 */
export function answeringSentence(passage: PassageRecord, cosine: (row: number) => number, queryTerms: Set<string>): number {
  let best = 0;
  let bestPick = -Infinity;
  passage.sentences.forEach((s, i) => {
    const sentenceTerms = terms(passage.text.slice(s.start - passage.start, s.end - passage.start));
    const shared = queryTerms.size ? sentenceTerms.filter((t) => queryTerms.has(t)).length / queryTerms.size : 0;
    const pick = cosine(s.row) + TERM_BONUS * Math.min(1, shared);
    if (pick > bestPick) {
      bestPick = pick;
      best = i;
    }
  });
  return best;
}

/**
 * A passage adds nothing new when its answering sentence is already shown, or when more than half of its sentences
 * are: overlapping windows and repeated text would otherwise fill the top results with the same words.
 */
export function isRedundant(passage: PassageRecord, answering: number, shown: Set<number>): boolean {
  if (shown.has(passage.sentences[answering].row)) return true;
  const repeated = passage.sentences.filter((s) => shown.has(s.row)).length;
  return repeated * 2 > passage.sentences.length;
}

/** The hit a passage gives, with its answering sentence marked. */
function hitOf(p: PassageRecord, answering: number, score: number): SearchHit {
  const s = p.sentences[answering];
  const start = s.start - p.start;
  const end = s.end - p.start;
  return { id: p.id, score, text: p.text, source: p.source, start: p.start, end: p.end, highlight: { start, end, text: p.text.slice(start, end) } };
}

/**
 * Up to `k` hits from candidates in ranked order, each scoring at least `minScore` as returned (rounded to 6
 * places, so a hit's own score as minScore keeps that hit), repeats left out when the engine says so.
 */
export function selectHits(
  engine: SearchEngine,
  ranking: Pick<Ranking, 'passages' | 'cosine'>,
  candidates: Candidate[],
  query: string,
  k: number,
  minScore = -Infinity,
): SearchHit[] {
  const queryTerms = new Set(terms(query));
  const hits: SearchHit[] = [];
  const shown = new Set<number>();
  for (const c of candidates) {
    const score = Number(c.score.toFixed(6));
    if (hits.length >= k || score < minScore) break;
    const p = ranking.passages.get(c.label)!;
    const answering = answeringSentence(p, ranking.cosine, queryTerms);
    if (engine.settings.dedup && isRedundant(p, answering, shown)) continue;
    for (const x of p.sentences) shown.add(x.row);
    hits.push(hitOf(p, answering, score));
  }
  return hits;
}

/** Answers a query with up to `k` hits scoring at least `minScore`, best first. `signal` stops a request given up on. */
export async function search(engine: SearchEngine, query: string, k: number, minScore = -Infinity, signal?: AbortSignal): Promise<SearchResult> {
  const ranking = await rank(engine, query, signal);
  checkDeadline(signal);
  const t = performance.now();
  const hits = selectHits(engine, ranking, ranking.candidates, query, k, minScore);
  // Fusion is timed with the making of the hits: highlight and dedup.
  return { hits, timings: { ...ranking.timings, fusionMs: ranking.timings.fusionMs + performance.now() - t } };
}
