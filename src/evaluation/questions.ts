// Retrieval metrics and the two evaluation formats: key-phrase questions over a corpus folder, and BEIR datasets.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { corpusOf, documentOf, type Corpus } from '../ingest/corpus.js';
import { AppError } from '../errors.js';
import { fusedScore } from '../search/fusion.js';
import { rank } from '../search/rank.js';
import { search } from '../search/search.js';
import { type SearchEngine } from '../search/engine.js';

const questionsSchema = z.array(z.object({ q: z.string().min(1), key: z.array(z.string().min(1)).min(1) })).min(1);
export type Question = z.infer<typeof questionsSchema>[number];

/** Reads a questions file: `[{ q, key: [verbatim phrases] }]`. Throws INVALID_REQUEST naming the bad entries. */
export async function loadQuestions(file: string): Promise<Question[]> {
  const parsed = questionsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new AppError('INVALID_REQUEST', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
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
    const { hits } = await search(engine, question.q, 10);
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

/**
 * The best any mixing of the two sides' scores could do on these questions: each question ranked with the keyword
 * share (0 to 1, in steps of 0.02) that puts its answer highest, chosen for that question alone. No single setting
 * reaches past it, so it tells whether a shortfall is in the mixing or in the scores themselves. Repeats are not
 * dropped here, and a tie counts against the answer.
 */
export async function fusionBound(engine: SearchEngine, questions: Question[]): Promise<Omit<QuestionReport, 'misses'>> {
  let hit1 = 0;
  let hit3 = 0;
  let mrr = 0;
  for (const question of questions) {
    const { candidates } = await rank(engine, question.q);
    const answers = candidates.map((c) => question.key.some((k) => engine.index.passages[c.label].text.includes(k)));
    let best = Infinity;
    for (let step = 0; step <= 50; step++) {
      const share = step / 50;
      const scores = candidates.map((c) => fusedScore(c.meaning, c.keyword, share));
      let answer = -Infinity;
      scores.forEach((x, i) => answers[i] && (answer = Math.max(answer, x)));
      if (answer === -Infinity) break;
      best = Math.min(best, 1 + scores.filter((x, i) => !answers[i] && x >= answer).length);
    }
    if (best === 1) hit1++;
    if (best <= 3) hit3++;
    if (best <= 10) mrr += 1 / best;
  }
  const n = questions.length;
  const round = (x: number) => Number(x.toFixed(4));
  return { hit1: round(hit1 / n), hit3: round(hit3 / n), mrr10: round(mrr / n), n };
}

export interface BeirDataset {
  corpus: Corpus;
  queries: { id: string; text: string }[];
  /** query id → document id → graded relevance */
  qrels: Map<string, Map<string, number>>;
}

function readJsonl<T>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

/** Reads a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv); documents are `title + " " + text`. */
export async function loadBeir(dir: string): Promise<BeirDataset> {
  const docs = readJsonl<{ _id: string; title?: string; text: string }>(await readFile(path.join(dir, 'corpus.jsonl'), 'utf8'));
  const allQueries = readJsonl<{ _id: string; text: string }>(await readFile(path.join(dir, 'queries.jsonl'), 'utf8'));
  const qrels = new Map<string, Map<string, number>>();
  const lines = (await readFile(path.join(dir, 'qrels', 'test.tsv'), 'utf8')).split(/\r?\n/).slice(1);
  for (const line of lines) {
    const [qid, docId, score] = line.split('\t');
    if (!qid || !docId) continue;
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid)!.set(docId, Number(score));
  }
  return {
    corpus: corpusOf(docs.map((d) => documentOf(d._id, [d.title, d.text].filter(Boolean).join(' ')))),
    queries: allQueries.filter((q) => qrels.has(q._id)).map((q) => ({ id: q._id, text: q.text })),
    qrels,
  };
}

/** nDCG@k with graded gains and log2 discounts, as pytrec_eval and the BEIR tables compute it. */
export function ndcgAt(ranked: string[], relevant: Map<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((doc, i) => (dcg += (relevant.get(doc) ?? 0) / Math.log2(i + 2)));
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((sum, gain, i) => sum + gain / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: string[], relevant: Map<string, number>, k: number): number {
  const wanted = [...relevant.entries()].filter(([, g]) => g > 0).map(([d]) => d);
  if (!wanted.length) return 0;
  const top = new Set(ranked.slice(0, k));
  return wanted.filter((d) => top.has(d)).length / wanted.length;
}

/** Ranks documents by their best passage and scores nDCG@10 and recall@100 over the dataset's test queries. */
export async function evaluateBeir(engine: SearchEngine, data: BeirDataset, passagesPerQuery = 1000): Promise<{ ndcg10: number; recall100: number; queries: number }> {
  let ndcg = 0;
  let recall = 0;
  for (const query of data.queries) {
    const { hits } = await search(engine, query.text, passagesPerQuery);
    const ranked: string[] = [];
    const seen = new Set<string>();
    for (const h of hits) {
      if (!seen.has(h.source)) {
        seen.add(h.source);
        ranked.push(h.source);
      }
    }
    const relevant = data.qrels.get(query.id)!;
    ndcg += ndcgAt(ranked, relevant, 10);
    recall += recallAt(ranked, relevant, 100);
  }
  const n = data.queries.length;
  return { ndcg10: Number((ndcg / n).toFixed(4)), recall100: Number((recall / n).toFixed(4)), queries: n };
}
