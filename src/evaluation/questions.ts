// Key-phrase questions over a corpus folder: hit@1, hit@3 and MRR@10, and the bound any mixing of scores could reach.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { fusedScore } from '../search/fusion.js';
import { rank } from '../search/rank.js';
import { search, selectHits } from '../search/search.js';
import type { SearchEngine } from '../search/engine.js';

const questionsSchema = z.array(z.object({ q: z.string().min(1), key: z.array(z.string().min(1)).min(1) })).min(1);
export type Question = z.infer<typeof questionsSchema>[number];

/**
 * Reads a questions file: `[{ q, key: [verbatim phrases] }]`. Throws EVAL_INPUT_INVALID naming the file and what is
 * wrong: missing, unreadable, not JSON, or entries that are not questions with key phrases (each listed by path).
 */
export async function loadQuestions(file: string): Promise<Question[]> {
  return readJson(file, questionsSchema);
}

/** A JSON file checked against `schema`; EVAL_INPUT_INVALID naming the file and what is wrong. */
async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AppError('EVAL_INPUT_INVALID', file, e.code === 'ENOENT' ? 'no such file' : e.code ? `unreadable (${e.code})` : `not JSON (${e.message})`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new AppError('EVAL_INPUT_INVALID', file, issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  return parsed.data;
}

export interface QuestionReport {
  hit1: number;
  hit3: number;
  mrr10: number;
  n: number;
  /** Mean words of the hits returned (up to 10 a question): a gain from longer passages alone is no gain. */
  wordsPerHit: number;
  /** Of the answering hits among each question's top 3, the share marked confident. */
  confidentAnswers: number;
  /** The rank of each question's first answering hit (1-based), null past 10. */
  ranks: (number | null)[];
  /** Questions whose answer was not first: the rank it had (1-based), or null past 10. */
  misses: { q: string; rank: number | null; top: string }[];
}

/** White space folded to single spaces: a key phrase matches across a line break of the text. */
export const foldSpace = (text: string) => text.replace(/\s+/g, ' ');

/** Whether a passage answers a question: it holds one of its key phrases, white space folded. */
export function answers(text: string, key: string[]): boolean {
  const folded = foldSpace(text);
  return key.some((k) => folded.includes(foldSpace(k)));
}

/** Words of a text: runs between white space. */
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean).length;

const round = (x: number) => Number(x.toFixed(4));

/**
 * hit@1, hit@3 and MRR@10 (a passage answers when it contains any of the question's key phrases), the mean words of
 * the hits, and the share of answering top-3 hits that are confident.
 */
export async function evaluateQuestions(engine: SearchEngine, questions: Question[]): Promise<QuestionReport> {
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  let words = 0;
  let hitCount = 0;
  let answering = 0;
  let confident = 0;
  const misses: QuestionReport['misses'] = [];
  const ranks: (number | null)[] = [];
  for (const question of questions) {
    const { hits } = await search(engine, question.q, { k: 10 });
    const at = hits.findIndex((h) => answers(h.text, question.key));
    if (at === 0) hit1++;
    if (at >= 0 && at < 3) hit3++;
    if (at >= 0) mrr += 1 / (at + 1);
    ranks.push(at >= 0 ? at + 1 : null);
    for (const h of hits) words += wordsOf(h.text);
    hitCount += hits.length;
    for (const h of hits.slice(0, 3)) {
      if (!answers(h.text, question.key)) continue;
      answering++;
      if (h.confident) confident++;
    }
    if (at !== 0) misses.push({ q: question.q, rank: at >= 0 ? at + 1 : null, top: hits[0]?.highlight.text ?? '' });
  }
  const n = questions.length;
  return {
    hit1: round(hit1 / n),
    hit3: round(hit3 / n),
    mrr10: round(mrr / n),
    n,
    wordsPerHit: hitCount ? Math.round(words / hitCount) : 0,
    confidentAnswers: answering ? round(confident / answering) : 0,
    ranks,
    misses,
  };
}

const offtopicSchema = z.array(z.object({ q: z.string().min(1) })).min(1);

/** Reads a file of questions no document answers: `[{ q }]`. Throws EVAL_INPUT_INVALID as loadQuestions does. */
export async function loadOfftopic(file: string): Promise<{ q: string }[]> {
  return readJson(file, offtopicSchema);
}

export interface OfftopicReport {
  n: number;
  /** The share of the questions with no confident hit: the search says it has no answer. */
  unanswered: number;
  /** The questions that got a confident hit, and that hit's answering sentence. */
  answered: { q: string; score: number; top: string }[];
}

/** How often the search rightly says it has no answer, over questions no document answers. */
export async function evaluateOfftopic(engine: SearchEngine, questions: { q: string }[]): Promise<OfftopicReport> {
  const answered: OfftopicReport['answered'] = [];
  for (const { q } of questions) {
    const { hits } = await search(engine, q, { k: 10 });
    const first = hits.find((h) => h.confident);
    if (first) answered.push({ q, score: first.score, top: first.highlight.text });
  }
  return { n: questions.length, unanswered: round(1 - answered.length / questions.length), answered };
}

/** The 1-based rank of the first hit holding a key phrase, or Infinity when none of them does. */
function answerRank(hits: { text: string }[], key: string[]): number {
  const at = hits.findIndex((h) => answers(h.text, key));
  return at >= 0 ? at + 1 : Infinity;
}

/**
 * An upper bound on what any mixing of the two sides' scores could do on these questions: each question's answer
 * rank is the best of the default search's own and of the search with each keyword share from 0 to 1 (in steps of
 * 0.02), chosen for that question alone, with ties broken in the answer's favour. The hits are made as the search
 * makes them (repeats left out), so no single setting reaches past it: it tells whether a shortfall is in the mixing
 * or in the scores themselves.
 */
export async function fusionBound(engine: SearchEngine, questions: Question[]): Promise<Pick<QuestionReport, 'hit1' | 'hit3' | 'mrr10' | 'n'>> {
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  for (const question of questions) {
    const ranking = await rank(engine, question.q);
    const { candidates } = ranking;
    const answering = new Set(candidates.filter((c) => answers(ranking.passages.get(c.label)!.text, question.key)).map((c) => c.label));
    let best = answerRank(selectHits(engine, ranking, candidates, question.q, 10), question.key);
    for (let step = 0; step <= 50 && answering.size; step++) {
      const share = step / 50;
      const refused = candidates
        .map((c) => ({ ...c, score: fusedScore(c.meaning, c.keyword, share) }))
        .sort((a, b) => b.score - a.score || Number(answering.has(b.label)) - Number(answering.has(a.label)) || a.label - b.label);
      best = Math.min(best, answerRank(selectHits(engine, ranking, refused, question.q, 10), question.key));
    }
    if (best === 1) hit1++;
    if (best <= 3) hit3++;
    if (best <= 10) mrr += 1 / best;
  }
  const n = questions.length;
  return { hit1: round(hit1 / n), hit3: round(hit3 / n), mrr10: round(mrr / n), n };
}
