// Key-phrase questions over a corpus folder: hit@1, hit@3 and MRR@10, and the bound any mixing of scores could reach.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { fusedScore } from '../search/fusion.js';
import { rank } from '../search/rank.js';
import { search, selectHits } from '../search/search.js';
import { type SearchEngine } from '../search/engine.js';

const questionsSchema = z.array(z.object({ q: z.string().min(1), key: z.array(z.string().min(1)).min(1) })).min(1);
export type Question = z.infer<typeof questionsSchema>[number];

/**
 * Reads a questions file: `[{ q, key: [verbatim phrases] }]`. Throws EVAL_INPUT_INVALID naming the file and what is
 * wrong: missing, unreadable, not JSON, or entries that are not questions with key phrases (each listed by path).
 */
export async function loadQuestions(file: string): Promise<Question[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AppError('EVAL_INPUT_INVALID', file, e.code === 'ENOENT' ? 'no such file' : e.code ? `unreadable (${e.code})` : `not JSON (${e.message})`);
  }
  const parsed = questionsSchema.safeParse(data);
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
  /** Questions whose answer was not first: the rank it had (1-based), or null past 10. */
  misses: { q: string; rank: number | null; top: string }[];
}

/** hit@1, hit@3 and MRR@10: a passage answers when it contains any of the question's key phrases. */
export async function evaluateQuestions(engine: SearchEngine, questions: Question[]): Promise<QuestionReport> {
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  const misses: QuestionReport['misses'] = [];
  for (const question of questions) {
    const { hits } = await search(engine, question.q, { k: 10 });
    const at = hits.findIndex((h) => question.key.some((k) => h.text.includes(k)));
    if (at === 0) hit1++;
    if (at >= 0 && at < 3) hit3++;
    if (at >= 0) mrr += 1 / (at + 1);
    if (at !== 0) misses.push({ q: question.q, rank: at >= 0 ? at + 1 : null, top: hits[0]?.highlight.text ?? '' });
  }
  const n = questions.length;
  const round = (x: number) => Number(x.toFixed(4));
  return { hit1: round(hit1 / n), hit3: round(hit3 / n), mrr10: round(mrr / n), n, misses };
}

/** The 1-based rank of the first hit holding a key phrase, or Infinity when none of them does. */
function answerRank(hits: { text: string }[], key: string[]): number {
  const at = hits.findIndex((h) => key.some((k) => h.text.includes(k)));
  return at >= 0 ? at + 1 : Infinity;
}

/**
 * An upper bound on what any mixing of the two sides' scores could do on these questions: each question's answer
 * rank is the best of the default search's own and of the search with each keyword share from 0 to 1 (in steps of
 * 0.02), chosen for that question alone, with ties broken in the answer's favour. The hits are made as the search
 * makes them (repeats left out), so no single setting reaches past it: it tells whether a shortfall is in the mixing
 * or in the scores themselves.
 */
export async function fusionBound(engine: SearchEngine, questions: Question[]): Promise<Omit<QuestionReport, 'misses'>> {
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  for (const question of questions) {
    const ranking = await rank(engine, question.q);
    const { candidates } = ranking;
    const answers = new Set(candidates.filter((c) => question.key.some((k) => ranking.passages.get(c.label)!.text.includes(k))).map((c) => c.label));
    let best = answerRank(selectHits(engine, ranking, candidates, question.q, 10), question.key);
    for (let step = 0; step <= 50 && answers.size; step++) {
      const share = step / 50;
      const refused = candidates
        .map((c) => ({ ...c, score: fusedScore(c.meaning, c.keyword, share) }))
        .sort((a, b) => b.score - a.score || Number(answers.has(b.label)) - Number(answers.has(a.label)) || a.label - b.label);
      best = Math.min(best, answerRank(selectHits(engine, ranking, refused, question.q, 10), question.key));
    }
    if (best === 1) hit1++;
    if (best <= 3) hit3++;
    if (best <= 10) mrr += 1 / best;
  }
  const n = questions.length;
  const round = (x: number) => Number(x.toFixed(4));
  return { hit1: round(hit1 / n), hit3: round(hit3 / n), mrr10: round(mrr / n), n };
}
