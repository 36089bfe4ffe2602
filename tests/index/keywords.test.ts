// The keyword side against an independent BM25: wink-bm25-text-search, given the same terms, k1 and b. Its IDF is
// Lucene's (ln(1 + (N − n + ½)/(n + ½))) and its lengths are counts of terms, as ours; it rounds each term's part to
// 9 places, hence the 1e-8 tolerance.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createKeywordIndex, createTopK, terms } from '../../src/index/keywords.js';

const require = createRequire(import.meta.url);
const winkBm25 = require('wink-bm25-text-search') as () => {
  defineConfig(cfg: { fldWeights: Record<string, number>; bm25Params: { k1: number; b: number; k: number } }): void;
  definePrepTasks(tasks: Array<(text: string) => string[]>): void;
  addDoc(doc: { text: string }, id: number): void;
  consolidate(fp: number): void;
  search(text: string, limit: number): Array<[string, number]>;
};

const WORDS = ['harbour', 'lantern', 'ferry', 'winter', 'island', 'keeper', 'puffins', 'cliffs', 'bread', 'tides', 'storm', 'village'];

function reference(texts: string[], k1: number, b: number) {
  const engine = winkBm25();
  engine.defineConfig({ fldWeights: { text: 1 }, bm25Params: { k1, b, k: 1 } });
  engine.definePrepTasks([terms]);
  texts.forEach((text, id) => engine.addDoc({ text }, id));
  engine.consolidate(9);
  return (query: string) => new Map(engine.search(query, texts.length).map(([id, score]) => [Number(id), score]));
}

describe('BM25 against an independent implementation', () => {
  it('scores every matching text as wink-bm25-text-search does, for any texts, query, k1 and b', async () => {
    const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 30 }).map((w) => w.join(' '));
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { minLength: 3, maxLength: 25 }),
        fc.array(fc.constantFrom(...WORDS, 'absent'), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (texts, queryWords, k1, b) => {
          const query = queryWords.join(' ');
          const ours = (await createKeywordIndex(texts, { k1, b }).search(query, texts.length)).hits;
          const theirs = reference(texts, k1, b)(query);
          expect(ours.map((h) => h.block).sort((x, y) => x - y)).toEqual([...theirs.keys()].sort((x, y) => x - y));
          for (const hit of ours) expect(Math.abs(hit.score - theirs.get(hit.block)!)).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the best depth hits, best first, ties to the lower block', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 80 }), fc.integer({ min: 0, max: 25 }), (scores, depth) => {
        const top = createTopK(depth);
        scores.forEach((score, block) => top.offer({ block, score }));
        const expected = scores
          .map((score, block) => ({ block, score }))
          .sort((x, y) => y.score - x.score || x.block - y.block)
          .slice(0, depth);
        expect(top.best()).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('a keyword search within some texts', () => {
  const index = createKeywordIndex(['pears ripen in autumn', 'pears and plums', 'boats at the quay', 'ripe pears in autumn light autumn']);

  it('scores only the texts allowed, as the whole index scores them, and takes the coverage from the best allowed', async () => {
    const all = await index.search('autumn pears', 10);
    const some = await index.search('autumn pears', 10, (block) => block === 1 || block === 2);
    expect(some.hits).toEqual(all.hits.filter((h) => h.block === 1));
    expect(all.coverage).toBeCloseTo(1, 12);
    // Text 1 holds "pears" but not "autumn": the coverage is pears' share of the query's IDF.
    expect(some.coverage).toBeLessThan(0.5);
    expect(some.coverage).toBeGreaterThan(0);
    expect(some.queryIdf).toBe(all.queryIdf);
    // Texts not allowed leave nothing behind for the next search.
    expect(await index.search('autumn pears', 10)).toEqual(all);
  });
});
