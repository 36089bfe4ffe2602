// The ranking pinned down on the orchard (tests/helpers/orchard.ts): seven sentences with vectors written down, built
// by the real build into overlapping windows. The expected meaning, keyword, share and fused scores were worked out by hand from the definitions (BM25 with Lucene's
// IDF over each section's passages as one keyword block, a section of three passages or fewer being one, k1 1.5, b 0.75; the share's logistic step) and are written
// as plain numbers.
import { describe, expect, it } from 'vitest';
import { rank } from '../../src/search/rank.js';
import { calibrationOf, search } from '../../src/search/search.js';
import { PROBE_QUESTIONS } from '../../src/search/confidence.js';
import { P0, P1, P2, P3, SETTINGS, useOrchard } from '../helpers/orchard.js';
import { allPassages } from '../helpers/real.js';

describe('the ranking, by hand', () => {
  const orchard = useOrchard();

  /** Each passage's evidence, by id, as the ranking gives it. */
  const evidence = async (query: string, on = orchard()) => {
    const r = await rank(on, query);
    const id = (label: number) => r.passages.get(label)!.id;
    return { share: r.share, by: new Map(r.candidates.map((c) => [id(c.label), c])), order: r.candidates.map((c) => id(c.label)) };
  };

  it('cuts the paragraphs into the windows these numbers are worked for', async () => {
    const passages = await allPassages(orchard());
    expect(passages.map((p) => p.id)).toEqual([P0, P1, P2, P3]);
    expect(passages.map((p) => p.sentences.length)).toEqual([3, 3, 2, 1]);
  });

  it("scores a question in the text's own words: closest sentence, keyword over the IDF sum, the high share", async () => {
    const { share, by, order } = await evidence('when do pears ripen');
    expect(share).toBeCloseTo(0.5999999999252066, 9);
    // Meaning is the closest sentence's cosine: 1 for both windows holding "Pears ripen…", though neither starts with it.
    // P0 and P1 are one keyword block, the orchard section's.
    expect(by.get(P0)).toMatchObject({ meaning: 1, keyword: expect.closeTo(0.9505870478436282, 9), score: expect.closeTo(0.9703522287098727, 9) });
    expect(by.get(P1)).toMatchObject({ meaning: 1, keyword: expect.closeTo(0.9505870478436282, 9) });
    expect(by.get(P2)).toMatchObject({ meaning: 0.5, keyword: 0, score: expect.closeTo(0.2000000000373967, 9) });
    expect(by.get(P3)).toMatchObject({ meaning: 0.5, keyword: expect.closeTo(0.5759188516928702, 9), score: expect.closeTo(0.5455513110100438, 9) });
    // Equal scores go to the lower label.
    expect(order).toEqual([P0, P1, P3, P2]);
  });

  it('gives a paraphrase with no word of the text the low share and meaning alone', async () => {
    const { share, by, order } = await evidence('vessels leaving harbour at sunrise');
    expect(share).toBeCloseTo(0.20002708965984792, 9);
    expect(by.get(P2)).toMatchObject({ meaning: 1, keyword: 0, score: expect.closeTo(0.799972910340152, 9) });
    expect(by.get(P0)).toMatchObject({ meaning: 0.5, score: expect.closeTo(0.399986455170076, 9) });
    expect(by.get(P3)).toMatchObject({ meaning: -0.5, score: expect.closeTo(-0.399986455170076, 9) });
    expect(order).toEqual([P2, P0, P1, P3]);
  });

  it('sets the share from the IDF the best keyword match covers, unseen words counting at the highest IDF', async () => {
    // "pears" is in two keyword blocks of three, "zebras" in none; the best match (the market's) holds pears only.
    const { share, by, order } = await evidence('pears and zebras');
    expect(share).toBeCloseTo(0.20964486144091835, 9);
    expect(by.get(P3)).toMatchObject({ meaning: 1, keyword: expect.closeTo(0.32774268577214594, 9), score: expect.closeTo(0.8590647085060577, 9) });
    expect(by.get(P0)).toMatchObject({ keyword: expect.closeTo(0.22689878245763948, 9), score: expect.closeTo(0.44274573308898574, 9) });
    expect(by.get(P2)).toMatchObject({ score: expect.closeTo(0.39517756927954084, 9) });
    expect(order).toEqual([P3, P0, P1, P2]);
  });

  it('leaves out a window whose answering sentence a better hit shows, and marks that sentence', async () => {
    const { hits } = await search(orchard(), 'when do pears ripen', { k: 10 });
    expect(hits.map((x) => x.id)).toEqual([P0, P3, P2]);
    expect(hits.map((x) => x.highlight.text)).toEqual([
      'Pears ripen slowly in autumn.',
      'Pears, pears and more pears fill the market stalls today.',
      'Nets dry on the quay.',
    ]);
    expect(hits.map((x) => x.score)).toEqual([0.970352, 0.545551, 0.2]);
  });

  it('leaves out a window most of whose sentences a better hit shows, though its own answer is new', async () => {
    // P0 answers with "Apples…" (cosine ½ and a shared word); P1 would answer with "Figs need heat." — new — but two of
    // its three sentences are already shown.
    const { hits } = await search(orchard(), 'figs and apples', { k: 10 });
    expect(hits.map((x) => x.id)).toEqual([P0, P2, P3]);
    expect(hits[0].highlight.text).toBe('Apples grow on tall trees.');
    expect(hits.map((x) => x.score)).toEqual([0.689796, 0.2, 0]);
    // The probes' best hits all score 0 here (tests/helpers/orchard.ts), so the threshold is 0 and a hit above it is
    // confident.
    expect(hits.map((x) => x.confident)).toEqual([true, true, false]);
    const all = await search({ ...orchard(), settings: { ...SETTINGS, dedup: false } }, 'figs and apples', { k: 10 });
    expect(all.hits.map((x) => x.id)).toEqual([P0, P1, P2, P3]);
    expect(all.hits[1].highlight.text).toBe('Figs need heat.');
  });

  it('keeps hits scoring at least minScore as returned, and at most k', async () => {
    expect((await search(orchard(), 'when do pears ripen', { k: 10, minScore: 0.545551 })).hits.map((x) => x.id)).toEqual([P0, P3]);
    expect((await search(orchard(), 'when do pears ripen', { k: 10, minScore: 0.545552 })).hits.map((x) => x.id)).toEqual([P0]);
    expect((await search(orchard(), 'when do pears ripen', { k: 1 })).hits.map((x) => x.id)).toEqual([P0]);
  });

  it("calibrates on the probe questions: each one's best score, and the threshold they give", async () => {
    const calibration = await calibrationOf(orchard());
    expect(calibration.probes).toEqual(PROBE_QUESTIONS.map(() => 0));
    expect(calibration.threshold).toBe(0);
    expect((await search(orchard(), 'when do pears ripen', { k: 10 })).threshold).toBe(0);
  });
});
