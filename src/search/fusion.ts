// Fusion: the meaning and keyword scores of each candidate mixed into one, by a share the query's coverage sets.
import type { KeywordShare } from './engine.js';

/** A candidate passage with the evidence of both sides. */
export interface Candidate {
  label: number;
  /** Cosine of the query to the passage's closest sentence. */
  meaning: number;
  /** Its block's BM25 over the query's IDF sum (the BM25 of an average block holding each query term once); 0 when none. */
  keyword: number;
  score: number;
}

/** Steepness of the switch from the paraphrase share to the own-words share (per unit of coverage). */
export const SHARE_STEEPNESS = 32;

/**
 * The keyword side's share of the fused score for a query whose best keyword match covers `coverage` of it: a
 * logistic step from `min` to `max` centred on `midpoint`. A question in the text's own words is best answered by
 * keywords, a paraphrase by meaning; coverage tells them apart.
 */
export function keywordShare(coverage: number, share: KeywordShare): number {
  return share.min + (share.max - share.min) / (1 + Math.exp(-SHARE_STEEPNESS * (coverage - share.midpoint)));
}

/** The fused score of a passage: `(1 − share) × meaning + share × keyword`. */
export function fusedScore(meaning: number, keyword: number, share: number): number {
  return (1 - share) * meaning + share * keyword;
}

/** Best first; ties go to the lower label, so results are stable. */
export const byScore = (a: Candidate, b: Candidate) => b.score - a.score || a.label - b.label;

/**
 * Fuses the two sides by score (`fusedScore`) over the union of both sides' candidates (a passage only one side found
 * gets 0 from the other: no keyword, or its cosine all the same). Best first.
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
  return out.sort(byScore);
}
