import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ndcgAt, recallAt } from '../../src/evaluation/metrics.js';
import { evaluateQuestions, fusionBound, loadQuestions } from '../../src/evaluation/questions.js';
import { createSearchEngine, type SearchEngine } from '../../src/search/engine.js';
import { useOrchard } from '../helpers/orchard.js';
import { gardenEngine, removeDir, tempDir } from '../helpers/real.js';

describe('ndcgAt and recallAt', () => {
  const relevant = new Map([
    ['a', 2],
    ['b', 1],
    ['c', 0],
  ]);

  it('computes nDCG with graded gains and log2 discounts, as the published tables do', () => {
    // DCG: b at rank 1 (1 / log2 2) + a at rank 3 (2 / log2 4); ideal: a, then b.
    expect(ndcgAt(['b', 'x', 'a'], relevant, 10)).toBeCloseTo((1 + 2 / 2) / (2 + 1 / Math.log2(3)), 10);
    expect(ndcgAt(['a', 'b'], relevant, 10)).toBeCloseTo(1, 10);
    expect(ndcgAt(['x', 'a'], relevant, 1)).toBe(0);
  });

  it('counts recall over the documents with a positive grade only', () => {
    expect(recallAt(['a', 'c', 'x'], relevant, 100)).toBe(0.5);
    expect(recallAt(['x', 'b', 'a'], relevant, 2)).toBe(0.5);
    expect(recallAt(['a'], new Map([['c', 0]]), 100)).toBe(0);
  });
});

describe('loadQuestions', () => {
  let root: string;
  beforeAll(async () => (root = await tempDir()));
  afterAll(() => removeDir(root));

  it('names the entries that are not questions with key phrases', async () => {
    const file = path.join(root, 'bad.json');
    await writeFile(
      file,
      JSON.stringify([
        { q: 'fine', key: ['x'] },
        { q: '', key: [] },
      ]),
    );
    await expect(loadQuestions(file)).rejects.toMatchObject({ code: 'EVAL_INPUT_INVALID', message: expect.stringContaining(file) });
    await expect(loadQuestions(path.join(root, 'missing.json'))).rejects.toMatchObject({
      code: 'EVAL_INPUT_INVALID',
      message: expect.stringContaining('no such file'),
    });
    await writeFile(path.join(root, 'broken.json'), '[{ "q": ');
    await expect(loadQuestions(path.join(root, 'broken.json'))).rejects.toMatchObject({
      code: 'EVAL_INPUT_INVALID',
      message: expect.stringContaining('not JSON'),
    });
  });
});

describe('evaluateQuestions and fusionBound over a real index', () => {
  let root: string;
  let engine: SearchEngine;
  const questions = [
    { q: 'how do I keep slugs off my lettuce?', key: ['ring of grit'] },
    { q: 'when are roses cut back?', key: ['pruned in late winter'] },
    { q: 'how often do tomatoes need water?', key: ['watered deeply twice a week'] },
    { q: 'what is the capital of Peru?', key: ['no such phrase in the text'] },
  ];

  beforeAll(async () => {
    root = await tempDir();
    engine = await gardenEngine(root);
  });
  afterAll(() => removeDir(root));

  it('scores hit@1, hit@3 and MRR@10 by key phrase and lists the questions not answered first', async () => {
    const report = await evaluateQuestions(engine, questions);
    expect(report.n).toBe(4);
    // The three garden questions are answered first; the fourth has no answer in the text.
    expect(report).toMatchObject({ hit1: 0.75, hit3: 0.75, mrr10: 0.75 });
    expect(report.misses).toEqual([{ q: 'what is the capital of Peru?', rank: null, top: expect.any(String) }]);
  });

  it('bounds what any keyword share could reach, whatever share the engine is set to', async () => {
    const withShare = (share: number) =>
      createSearchEngine(engine.reader, engine.embedder, { ...engine.settings, keywordShare: { min: share, max: share, midpoint: 0.3 } });
    const bounds = [];
    for (const e of [engine, withShare(0), withShare(1)]) {
      const report = await evaluateQuestions(e, questions);
      const bound = await fusionBound(e, questions);
      expect(bound.hit1).toBeGreaterThanOrEqual(report.hit1);
      expect(bound.hit3).toBeGreaterThanOrEqual(report.hit3);
      expect(bound.mrr10).toBeGreaterThanOrEqual(report.mrr10);
      bounds.push(bound);
    }
    expect(bounds[1]).toEqual(bounds[0]);
    expect(bounds[2]).toEqual(bounds[0]);
    expect(bounds[0]).toEqual({ hit1: 0.75, hit3: 0.75, mrr10: 0.75, n: 4 });
  });
});

describe('fusionBound on the orchard, where every score is known', () => {
  const orchard = useOrchard();

  it('counts hits as the search makes them and breaks ties for the answer', async () => {
    // "Figs need heat." is only in the second window, which ties with the first at every share; the search puts the
    // first ahead (lower label) and then leaves the second out (two of its three sentences shown): not found.
    const figs = [{ q: 'figs and apples', key: ['Figs need heat.'] }];
    expect(await evaluateQuestions(orchard(), figs)).toMatchObject({ hit1: 0, mrr10: 0 });
    // Some mixing could put it first: the tie going its way.
    expect(await fusionBound(orchard(), figs)).toEqual({ hit1: 1, hit3: 1, mrr10: 1, n: 1 });
  });

  it('is never below the search it bounds, question by question', async () => {
    const questions = [
      { q: 'when do pears ripen', key: ['market stalls'] },
      { q: 'vessels leaving harbour at sunrise', key: ['Apples grow'] },
      { q: 'pears and zebras', key: ['Nets dry'] },
      { q: 'figs and apples', key: ['Boats sail'] },
    ];
    for (const question of questions) {
      const report = await evaluateQuestions(orchard(), [question]);
      const bound = await fusionBound(orchard(), [question]);
      expect(bound.mrr10).toBeGreaterThanOrEqual(report.mrr10);
    }
    // The market paragraph is second for the pears question at the default share (the golden test's order).
    expect(await evaluateQuestions(orchard(), [questions[0]])).toMatchObject({ mrr10: 0.5 });
  });
});
