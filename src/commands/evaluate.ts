// `eval` and `eval:beir`: the built-in evaluations, printing a table and a one-line JSON summary last.
import path from 'node:path';
import { readCorpus } from '../ingest/corpus.js';
import { evaluateBeir, loadBeir } from '../evaluation/beir.js';
import { evaluateOfftopic, evaluateQuestions, fusionBound, loadOfftopic, loadQuestions } from '../evaluation/questions.js';
import { configFrom, embedderFor, engineFor, type Flags } from './shared.js';

export async function runEval(file: string, flags: Flags & { offtopic?: string }): Promise<void> {
  const { offtopic: offtopicFile, ...rest } = flags;
  const config = configFrom(rest);
  const questions = await loadQuestions(file);
  const offtopicQuestions = offtopicFile ? await loadOfftopic(String(offtopicFile)) : null;
  const embedder = await embedderFor(config);
  const { engine, rebuilt } = await engineFor(config, embedder, await readCorpus(config.CORPUS_DIR));
  const report = await evaluateQuestions(engine, questions);
  const bound = await fusionBound(engine, questions);
  const offtopic = offtopicQuestions ? await evaluateOfftopic(engine, offtopicQuestions) : null;
  await embedder.dispose();
  const out = process.stdout;
  out.write(
    `${questions.length} questions from ${file} over ${config.CORPUS_DIR} (${rebuilt ? 'index rebuilt' : 'index reused'}, model ${embedder.modelId})\n`,
  );
  out.write(`hit@1 ${report.hit1.toFixed(3)}   hit@3 ${report.hit3.toFixed(3)}   MRR@10 ${report.mrr10.toFixed(3)}   ${report.wordsPerHit} words per hit\n`);
  out.write(`confident: ${(report.confidentAnswers * 100).toFixed(0)}% of the answering hits in the top 3\n`);
  if (offtopic) {
    out.write(
      `off-topic (${offtopicFile}): ${Math.round(offtopic.unanswered * offtopic.n)} of ${offtopic.n} with no confident hit (${(offtopic.unanswered * 100).toFixed(0)}%)\n`,
    );
    for (const a of offtopic.answered) out.write(`  confident for: ${a.q}  (${a.score.toFixed(3)}) ${a.top.slice(0, 80)}\n`);
  }
  out.write(
    `bound: hit@1 ${bound.hit1.toFixed(3)}   hit@3 ${bound.hit3.toFixed(3)}   MRR@10 ${bound.mrr10.toFixed(3)}` +
      '   (each question at the keyword share best for it alone, ties to the answer: no mixing of these two scores does better)\n',
  );
  if (report.misses.length) {
    out.write('\nNot answered first:\n');
    for (const m of report.misses) out.write(`  rank ${m.rank ?? '>10'}  ${m.q}\n           top: ${m.top.slice(0, 100)}\n`);
  }
  const summary = {
    hit1: report.hit1,
    hit3: report.hit3,
    mrr10: report.mrr10,
    n: report.n,
    wordsPerHit: report.wordsPerHit,
    confidentAnswers: report.confidentAnswers,
  };
  out.write(`${JSON.stringify(offtopic ? { ...summary, offtopicUnanswered: offtopic.unanswered, offtopicN: offtopic.n } : summary)}\n`);
}

export async function runEvalBeir(dir: string, flags: Flags): Promise<void> {
  const name = path.basename(path.resolve(dir));
  const config = configFrom({ indexDir: path.join('.cache', 'eval', name), ...flags });
  const data = await loadBeir(dir);
  const embedder = await embedderFor(config);
  const started = performance.now();
  // Recall@100 counts documents, and a document has several passages: take candidates deep enough to reach 100.
  const { engine, rebuilt } = await engineFor(config, embedder, data.corpus, Math.max(config.SEARCH_DEPTH, 1000));
  const indexed = performance.now();
  const report = await evaluateBeir(engine, data);
  await embedder.dispose();
  const out = process.stdout;
  out.write(
    `${name}: ${data.corpus.files.length} documents, ${engine.reader.manifest.passages} passages (${rebuilt ? 'built' : 'reused'} in ${((indexed - started) / 1000).toFixed(1)} s), ${report.queries} test queries, model ${embedder.modelId}\n`,
  );
  out.write(
    `nDCG@10 ${report.ndcg10.toFixed(4)}   recall@100 ${report.recall100.toFixed(4)}   (${((performance.now() - indexed) / report.queries).toFixed(1)} ms/query)\n`,
  );
  out.write(`${JSON.stringify(report)}\n`);
}
