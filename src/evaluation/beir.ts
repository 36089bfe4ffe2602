// BEIR datasets: reading the folder layout, and nDCG@10 / recall@100 of the search over it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { corpusOf, documentOf, type Corpus } from '../ingest/corpus.js';
import type { SearchEngine } from '../search/engine.js';
import { search } from '../search/search.js';
import { AppError } from '../errors.js';
import { ndcgAt, recallAt } from './metrics.js';

export interface BeirDataset {
  corpus: Corpus;
  queries: { id: string; text: string }[];
  /** query id → document id → graded relevance */
  qrels: Map<string, Map<string, number>>;
}

/** A dataset file's text; EVAL_INPUT_INVALID naming it when it cannot be read. */
async function readDatasetFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      'EVAL_INPUT_INVALID',
      file,
      code === 'ENOENT' ? 'no such file (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/test.tsv)' : `unreadable (${code})`,
    );
  }
}

function readJsonl<T>(file: string, text: string): T[] {
  return text.split('\n').flatMap((l, i) => {
    if (!l.trim()) return [];
    try {
      return [JSON.parse(l) as T];
    } catch {
      throw new AppError('EVAL_INPUT_INVALID', file, `line ${i + 1} is not JSON`);
    }
  });
}

/** Reads a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv); documents are `title + " " + text`. */
export async function loadBeir(dir: string): Promise<BeirDataset> {
  const corpusFile = path.join(dir, 'corpus.jsonl');
  const queriesFile = path.join(dir, 'queries.jsonl');
  const docs = readJsonl<{ _id: string; title?: string; text: string }>(corpusFile, await readDatasetFile(corpusFile));
  const allQueries = readJsonl<{ _id: string; text: string }>(queriesFile, await readDatasetFile(queriesFile));
  const qrels = new Map<string, Map<string, number>>();
  const lines = (await readDatasetFile(path.join(dir, 'qrels', 'test.tsv'))).split(/\r?\n/).slice(1);
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

/** Ranks documents by their best passage and scores nDCG@10 and recall@100 over the dataset's test queries. */
export async function evaluateBeir(
  engine: SearchEngine,
  data: BeirDataset,
  passagesPerQuery = 1000,
): Promise<{ ndcg10: number; recall100: number; queries: number }> {
  let ndcg = 0;
  let recall = 0;
  for (const query of data.queries) {
    const { hits } = await search(engine, query.text, { k: passagesPerQuery });
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
