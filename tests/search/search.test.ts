import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksOf } from '../../src/index/blocks.js';
import { createKeywordIndex, terms } from '../../src/index/keywords.js';
import type { SearchEngine } from '../../src/search/engine.js';
import { fuseCandidates, keywordShare } from '../../src/search/fusion.js';
import { answeringSentence, isRedundant, search } from '../../src/search/search.js';
import { gardenEngine, removeDir, tempDir } from '../helpers/real.js';

describe('fuseCandidates', () => {
  const evidence = (scores: Record<number, number>) => (label: number) => scores[label] ?? 0;

  it('mixes meaning and keyword scores by the keyword share', () => {
    const fused = fuseCandidates(
      [1, 2],
      [
        { label: 2, score: 0.9 },
        { label: 3, score: 0.4 },
      ],
      evidence({ 1: 0.9, 2: 0.5, 3: 0.1 }),
      0.25,
    );
    expect(fused.map((c) => c.label)).toEqual([1, 2, 3]);
    expect(fused[0].score).toBeCloseTo(0.75 * 0.9);
    expect(fused[1].score).toBeCloseTo(0.75 * 0.5 + 0.25 * 0.9);
    expect(fused[2]).toMatchObject({ meaning: 0.1, keyword: 0.4 });
    // More keyword share lets the keyword match lead.
    expect(fuseCandidates([1, 2], [{ label: 2, score: 0.9 }], evidence({ 1: 0.9, 2: 0.5 }), 0.6)[0].label).toBe(2);
  });

  it('keeps a hit only one side found', () => {
    const fused = fuseCandidates([7], [{ label: 8, score: 3 }], evidence({ 7: 0.8, 8: 0 }), 0.5);
    expect(fused.map((c) => c.label).sort()).toEqual([7, 8]);
  });

  it('orders ties by label, so results are stable', () => {
    const fused = fuseCandidates([5, 4], [], evidence({ 4: 0.3, 5: 0.3 }), 0);
    expect(fused.map((c) => c.label)).toEqual([4, 5]);
  });
});

describe('keywordShare', () => {
  const share = { min: 0.2, max: 0.6, midpoint: 0.3 };

  it("gives a paraphrase the low share and a question in the text's words the high one", () => {
    expect(keywordShare(0, share)).toBeCloseTo(0.2, 3);
    expect(keywordShare(0.1, share)).toBeCloseTo(0.2, 2);
    expect(keywordShare(0.3, share)).toBeCloseTo(0.4);
    expect(keywordShare(0.6, share)).toBeCloseTo(0.6, 3);
    expect(keywordShare(1, share)).toBeCloseTo(0.6, 6);
  });

  it('rises with coverage and is fixed when min and max agree', () => {
    const shares = [0, 0.2, 0.25, 0.3, 0.35, 0.4, 1].map((c) => keywordShare(c, share));
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    expect(keywordShare(0.05, { min: 1, max: 1, midpoint: 0.3 })).toBe(1);
    expect(keywordShare(0.9, { min: 0, max: 0, midpoint: 0.3 })).toBe(0);
  });
});

describe('isRedundant', () => {
  // Sentence n's text is "Sentence n." (rows follow the text, as a build gives them): a passage of the sentences given.
  const passage = (rows: number[]) => {
    const texts = rows.map((row) => `Sentence ${row}.`);
    const starts = texts.map((_, i) => texts.slice(0, i).join(' ').length + (i ? 1 : 0));
    return {
      id: 'x',
      source: 's',
      start: 0,
      end: 1,
      text: texts.join(' '),
      norm: 1,
      block: 0,
      sentences: rows.map((row, i) => ({ start: starts[i], end: starts[i] + texts[i].length, row })),
    };
  };
  const shown = (rows: number[]) => new Set(rows.map((row) => `Sentence ${row}.`));

  it('drops a passage whose answering sentence is already shown', () => {
    expect(isRedundant(passage([1, 2, 3]), 1, shown([2]))).toBe(true);
  });

  it('drops a passage most of whose sentences are already shown', () => {
    expect(isRedundant(passage([1, 2, 3]), 2, shown([1, 2]))).toBe(true);
  });

  it('keeps a passage that overlaps a shown one by one sentence of three', () => {
    expect(isRedundant(passage([3, 4, 5]), 2, shown([1, 2, 3]))).toBe(false);
  });

  it('takes a sentence shown in another passage, with other spacing, as shown', () => {
    const other = { ...passage([7]), text: 'Sentence\n 7.', sentences: [{ start: 0, end: 12, row: 99 }] };
    expect(isRedundant(other, 0, shown([7]))).toBe(true);
    expect(isRedundant(other, 0, shown([8]))).toBe(false);
  });

  it('keeps a passage half of whose sentences are shown: most means more than half', () => {
    expect(isRedundant(passage([2, 3]), 1, shown([1, 2]))).toBe(false);
    expect(isRedundant(passage([1, 2, 3, 4]), 3, shown([1, 2]))).toBe(false);
    expect(isRedundant(passage([1, 2, 3, 4]), 3, shown([1, 2, 3]))).toBe(true);
  });
});

describe('answeringSentence', () => {
  // Two sentences of one passage: rows 0 and 1; their cosines to the query are given.
  const text = 'Ferries stop in winter. The harbour freezes in January.';
  const passage = {
    id: 'x',
    source: 's',
    start: 0,
    end: text.length,
    text,
    norm: 1,
    block: 0,
    sentences: [
      { start: 0, end: 23, row: 0 },
      { start: 24, end: text.length, row: 1 },
    ],
  };
  const cosines = (a: number, b: number) => (row: number) => (row === 0 ? a : b);

  it("adds a quarter for sharing all the query's terms, in proportion for sharing some", () => {
    // Query terms: ferri, januari. The first sentence holds one of two (+0.125), the second one of two (+0.125).
    const q = new Set(terms('ferries january'));
    expect(answeringSentence(passage, cosines(0.5, 0.6), q)).toBe(1);
    expect(answeringSentence(passage, cosines(0.6, 0.5), q)).toBe(0);
    // Only the first holds "ferries": 0.5 + 0.125 = 0.625 against 0.7, and against 0.6.
    expect(answeringSentence(passage, cosines(0.5, 0.7), new Set(terms('ferries tides')))).toBe(1);
    expect(answeringSentence(passage, cosines(0.5, 0.6), new Set(terms('ferries tides')))).toBe(0);
  });

  it('takes the first of equals, and the closest when the query has no terms', () => {
    expect(answeringSentence(passage, cosines(0.4, 0.4), new Set(terms('ferries january')))).toBe(0);
    expect(answeringSentence(passage, cosines(0.3, 0.4), new Set())).toBe(1);
  });
});

describe('blocksOf', () => {
  const text = 'One. Two. Three. Four. Five.';
  const p = (start: number, end: number, block: number, sentences: [number, number][], source = 's') => ({
    id: `${start}`,
    source,
    start,
    end,
    text: text.slice(start, end),
    norm: 1,
    block,
    sentences: sentences.map(([a, b]) => ({ start: a, end: b, row: 0 })),
  });

  it('makes a run of up to three passages one block, each sentence once and in order', () => {
    const passages = [
      p(0, 9, 0, [
        [0, 4],
        [5, 9],
      ]),
      p(5, 16, 0, [
        [5, 9],
        [10, 16],
      ]),
      p(10, 22, 0, [
        [10, 16],
        [17, 22],
      ]),
      p(17, 22, 1, [[17, 22]]),
      p(0, 4, 0, [[0, 4]], 'other'),
    ];
    const blocks = blocksOf(passages);
    expect(blocks.texts).toEqual(['One. Two. Three. Four.', 'Four.', 'One.']);
    expect(blocks.passages).toEqual([[0, 1, 2], [3], [4]]);
  });

  it('gives each passage of a longer run its neighbours of that run only', () => {
    const passages = [
      p(0, 9, 0, [
        [0, 4],
        [5, 9],
      ]),
      p(5, 16, 0, [
        [5, 9],
        [10, 16],
      ]),
      p(10, 22, 0, [
        [10, 16],
        [17, 22],
      ]),
      p(17, 28, 0, [
        [17, 22],
        [23, 28],
      ]),
      p(23, 28, 1, [[23, 28]]),
    ];
    const blocks = blocksOf(passages);
    expect(blocks.texts).toEqual(['One. Two. Three.', 'One. Two. Three. Four.', 'Two. Three. Four. Five.', 'Three. Four. Five.', 'Five.']);
    expect(blocks.passages).toEqual([[0], [1], [2], [3], [4]]);
  });
});

describe('terms', () => {
  it('folds case and punctuation, drops stop words and stems', () => {
    expect(terms("Why does Pakistan want the Governments' help?")).toEqual(['pakistan', 'want', 'govern', 'help']);
    expect(terms('RELATIONS, relation; related!')).toEqual(['relat', 'relat', 'relat']);
  });

  it('drops the question words the stop list lacks', () => {
    expect(terms('does why when whom whose its itself themselves upon shall')).toEqual([]);
  });

  it('keeps a word with an apostrophe whole, without a final possessive', () => {
    expect(terms("Pakistan's O'Brien don't Jack'sons")).toEqual(['pakistan', 'obrien', 'dont', 'jackson']);
  });
});

describe('createKeywordIndex', () => {
  it('ranks the passage sharing the rarer terms first', async () => {
    const lex = createKeywordIndex(['the cat sat on the mat', 'a dog chased the cat', 'quantum chromodynamics of the cat']);
    expect((await lex.search('chromodynamics cat', 3)).hits[0].block).toBe(2);
    expect((await lex.search('nothing matches here', 3)).hits).toEqual([]);
  });

  it('says how much of the query the best match covers, rare words weighing more', async () => {
    const lex = createKeywordIndex(['the cat sat on the mat', 'a dog chased the cat', 'quantum chromodynamics of the cat']);
    expect((await lex.search('quantum chromodynamics', 3)).coverage).toBeCloseTo(1);
    const partial = (await lex.search('quantum zebras', 3)).coverage;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(0.6);
    // "cat" is everywhere: holding it covers less of "cat chromodynamics" than holding the rare word does.
    expect((await lex.search('cat chromodynamics', 3)).coverage).toBeCloseTo(1);
    expect((await lex.search('cat zebras', 3)).coverage).toBeLessThan(0.3);
    expect(await lex.search('zebras giraffes', 3)).toMatchObject({ hits: [], coverage: 0 });
    // Seen elsewhere is not held by the best match: chromodynamics and dog are each in one text, not the same one.
    expect((await lex.search('chromodynamics dog', 3)).coverage).toBeCloseTo(0.5, 12);
    // A query of stop words alone has no terms: nothing covered, not NaN.
    expect(await lex.search('the of and', 3)).toEqual({ hits: [], coverage: 0, queryIdf: 0 });
  });

  it("measures coverage as a brute-force count over the best text's own terms does", async () => {
    const words = ['ash', 'birch', 'cedar', 'elm', 'fir', 'hazel', 'oak', 'yew'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 60 }),
        fc.uniqueArray(fc.constantFrom(...words, 'zelkova'), { minLength: 1, maxLength: 4 }),
        async (docs, query) => {
          const texts = docs.map((d) => d.join(' '));
          const lex = createKeywordIndex(texts);
          const { hits, coverage } = await lex.search(query.join(' '), texts.length);
          const idf = (t: string) => {
            const df = texts.filter((x) => terms(x).includes(terms(t)[0])).length;
            return Math.log(1 + (texts.length - df + 0.5) / (df + 0.5));
          };
          const held = hits.length ? new Set(terms(texts[hits[0].block])) : new Set<string>();
          const expected = query.filter((t) => held.has(terms(t)[0])).reduce((s, t) => s + idf(t), 0) / query.reduce((s, t) => s + idf(t), 0);
          expect(coverage).toBeCloseTo(expected, 12);
        },
      ),
    );
  });

  it('scores by BM25 as written out by hand, keeping only the best `depth`', async () => {
    const texts = ['red fox red hen', 'red barn', 'blue fox', 'green field wide open', 'fox'];
    const lex = createKeywordIndex(texts, { k1: 1.2, b: 0.75 });
    // Lengths in terms: 4, 2, 2, 4, 1 (average 2.6); red is in 2 texts of 5, fox in 3.
    const idf = (df: number) => Math.log(1 + (5 - df + 0.5) / (df + 0.5));
    const part = (tf: number, len: number) => (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / 2.6));
    const hits = (await lex.search('red fox', 10)).hits;
    expect(hits.map((h) => h.block)).toEqual([0, 1, 4, 2]);
    expect(hits[0].score).toBeCloseTo(idf(2) * part(2, 4) + idf(3) * part(1, 4), 10);
    expect(hits[1].score).toBeCloseTo(idf(2) * part(1, 2), 10);
    expect(hits[2].score).toBeCloseTo(idf(3) * part(1, 1), 10);
    // A term asked twice counts twice.
    expect((await lex.search('fox fox', 10)).hits[0].score).toBeCloseTo(2 * idf(3) * part(1, 1), 10);
    // The query's IDF sum, against which the fusion weighs these scores: unseen terms at the highest IDF.
    expect((await lex.search('red fox', 10)).queryIdf).toBeCloseTo(idf(2) + idf(3), 10);
    expect((await lex.search('fox fox zebra', 10)).queryIdf).toBeCloseTo(2 * idf(3) + idf(0), 10);
    expect((await lex.search('red fox', 2)).hits.map((h) => h.block)).toEqual([0, 1]);
    expect((await lex.search('red fox', 0)).hits).toEqual([]);
  });
});

describe('search over a real index', () => {
  let root: string;
  let engine: SearchEngine;

  beforeAll(async () => {
    root = await tempDir();
    engine = await gardenEngine(root);
  });
  afterAll(() => removeDir(root));

  it('puts the answering passage first and marks its answering sentence', async () => {
    const { hits } = await search(engine, 'how do I protect lettuce from slugs?', { k: 3 });
    expect(hits[0].text).toContain('Slugs eat young lettuce');
    expect(hits[0].highlight.text).toBe(hits[0].text.slice(hits[0].highlight.start, hits[0].highlight.end));
    expect(['Slugs eat young lettuce at night.', 'A ring of grit around each plant keeps them off.']).toContain(hits[0].highlight.text);
  });

  it('marks the sentence that answers, not the first one', async () => {
    const { hits } = await search(engine, 'when should roses be pruned?', { k: 1 });
    expect(hits[0].highlight.text).toBe('Roses are pruned in late winter.');
    // The roses paragraph is one passage: its second sentence is the one marked for this question.
    const { hits: cut } = await search(engine, 'where exactly do I cut a rose stem, relative to the bud?', { k: 3 });
    expect(cut.find((h) => h.text.startsWith('Roses are pruned'))?.highlight.text).toBe('Cut just above an outward-facing bud.');
  });

  it('never shows the same answering sentence twice', async () => {
    const { hits } = await search(engine, 'garden plants', { k: 20 });
    const sentences = hits.map((h) => h.highlight.text);
    expect(new Set(sentences).size).toBe(sentences.length);
  });

  it('returns at most k hits, best first, and honours minScore', async () => {
    const { hits } = await search(engine, 'watering tomatoes', { k: 2 });
    expect(hits).toHaveLength(2);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
    const { hits: strict } = await search(engine, 'watering tomatoes', { k: 10, minScore: hits[0].score });
    expect(strict.every((h) => h.score >= hits[0].score)).toBe(true);
    expect(strict.length).toBeGreaterThanOrEqual(1);
  });
});
