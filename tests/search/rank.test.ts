// The parts of a ranking around the scores: the dot product's tail, the keyword candidates' cut at the search
// depth, the request's signal, and the timings a search reports.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dot } from '../../src/index/files/view.js';
import { checkDeadline } from '../../src/search/deadline.js';
import { keywordCandidates, rank } from '../../src/search/rank.js';
import { search, selectHits } from '../../src/search/search.js';
import { P0, P1, P2, P3, useOrchard } from '../helpers/orchard.js';

describe('dot', () => {
  it('is the plain sum of products, for any length and any row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (n, row, seed) => {
        let x = seed;
        const next = () => ((x = (x * 1103515245 + 12345) | 0) % 1000) / 1000;
        const a = Float32Array.from({ length: n }, next);
        const vectors = Float32Array.from({ length: n * 4 }, next);
        let expected = 0;
        for (let i = 0; i < n; i++) expected += a[i] * vectors[row * n + i];
        expect(dot(a, vectors, row)).toBeCloseTo(expected, 9);
      }),
    );
  });
});

describe('a ranking on the orchard', () => {
  const orchard = useOrchard();

  const ids = (labels: number[]) => labels.map((l) => [P0, P1, P2, P3][l]);

  it('takes keyword candidates a whole paragraph at a time, and stops once there are depth of them', async () => {
    // The orchard paragraph (two windows) is the best match; at depth 2 the market paragraph is not reached.
    expect(ids((await keywordCandidates(orchard(), 'when do pears ripen', 2)).hits.map((h) => h.label))).toEqual([P0, P1]);
    expect(ids((await keywordCandidates(orchard(), 'when do pears ripen', 3)).hits.map((h) => h.label))).toEqual([P0, P1, P3]);
  });

  it("hands the request's signal to the embedder, and stops when it is aborted", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const listening = {
      ...orchard(),
      embedder: {
        ...orchard().embedder,
        embedQueries: (texts: string[], options?: { signal?: AbortSignal }) => (seen.push(options?.signal), orchard().embedder.embedQueries(texts)),
      },
    };
    const controller = new AbortController();
    await rank(listening, 'when do pears ripen', { signal: controller.signal });
    expect(seen).toEqual([controller.signal]);
    controller.abort(new Error('gone'));
    await expect(rank(listening, 'when do pears ripen', { signal: controller.signal })).rejects.toThrow('gone');
  });

  it('reports the time of each stage, each within the time the search took', async () => {
    const started = performance.now();
    const { timings } = await search(orchard(), 'when do pears ripen', { k: 5 });
    const took = performance.now() - started;
    for (const ms of Object.values(timings)) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(took);
    }
    expect(Object.keys(timings).sort()).toEqual(['embedMs', 'fusionMs', 'lexicalMs', 'vectorMs']);
    expect(Object.values(timings).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const ranking = await rank(orchard(), 'when do pears ripen');
    expect(Object.values(ranking.timings).every((ms) => ms >= 0 && ms <= performance.now() - started)).toBe(true);
    // The ranking's own stages are timed, not only the hit selection after them.
    expect(ranking.timings.embedMs + ranking.timings.vectorMs + ranking.timings.lexicalMs + ranking.timings.fusionMs).toBeGreaterThan(0);
  });

  it('takes at least k candidates from each side, whatever the depth setting', async () => {
    const shallow = { ...orchard(), settings: { ...orchard().settings, depth: 0 } };
    const deep = (await search(orchard(), 'when do pears ripen', { k: 5 })).hits.map((h) => h.id);
    expect(deep).toHaveLength(3);
    expect((await search(shallow, 'when do pears ripen', { k: 5 })).hits.map((h) => h.id)).toEqual(deep);
    expect((await rank(shallow, 'when do pears ripen')).candidates).toEqual([]);
  });

  it('keeps every hit when selecting with no minimum score', async () => {
    const ranking = await rank(orchard(), 'vessels leaving harbour at sunrise');
    // The last window scores below 0, and is kept all the same.
    expect(selectHits(orchard(), ranking, ranking.candidates, 'vessels leaving harbour at sunrise', 10).map((h) => h.score)).toEqual([
      0.799973, 0.399986, -0.399986,
    ]);
  });
});

describe('checkDeadline', () => {
  it('passes with no signal or a deadline ahead, throws the abort reason, and throws the timeout once the deadline has passed', () => {
    expect(() => checkDeadline()).not.toThrow();
    const ahead = Object.assign(new AbortController().signal, { deadline: performance.now() + 60_000, timeout: new Error('late') });
    expect(() => checkDeadline(ahead)).not.toThrow();
    const passed = Object.assign(new AbortController().signal, { deadline: performance.now() - 1, timeout: new Error('late') });
    expect(() => checkDeadline(passed)).toThrow('late');
    const bare = Object.assign(new AbortController().signal, { deadline: performance.now() - 1 });
    expect(() => checkDeadline(bare)).toThrow('the deadline has passed');
    const aborted = new AbortController();
    aborted.abort(new Error('gone'));
    expect(() => checkDeadline(aborted.signal)).toThrow('gone');
  });
});
