import { describe, expect, it } from 'vitest';
import { calibrate, PROBE_QUESTIONS, PROBE_SPREAD_Z, thresholdOf } from '../../src/search/confidence.js';

describe('thresholdOf', () => {
  it("is the probes' median raised by 0.9 of their robust standard deviation (interquartile range / 1.349)", () => {
    expect(PROBE_SPREAD_Z).toBe(0.9);
    // Ten scores 0.1…1.0: median 0.55; quartiles at positions 2.25 and 6.75 of 0…9 are 0.325 and 0.775, a range of
    // 0.45, or 0.3335804300 standard deviations of a normal; 0.9 of that is 0.3002223870.
    const scores = [0.5, 0.1, 0.9, 0.3, 1.0, 0.2, 0.7, 0.4, 0.8, 0.6];
    expect(thresholdOf(scores)).toBeCloseTo(0.850222387, 9);
    // Even probes found the middle two: 0.2, 0.4, 0.6, 0.8 → median 0.5, quartiles 0.35 and 0.65.
    expect(thresholdOf([0.8, 0.2, 0.6, 0.4])).toBeCloseTo(0.700148258, 9);
  });

  it('is not moved by a few probes the corpus happens to answer, as a high quantile would be', () => {
    const typical = Array.from({ length: 18 }, (_, i) => 0.3 + i / 1000);
    const answered = [...typical, 0.85, 0.9];
    expect(thresholdOf(answered) - thresholdOf([...typical, 0.318, 0.319])).toBeLessThan(0.001);
    expect(thresholdOf(answered)).toBeLessThan(0.35);
  });

  it('leaves out probes that found nothing, and is -Infinity when none found anything', () => {
    expect(thresholdOf([-Infinity, 0.5, 0.5])).toBe(0.5);
    expect(thresholdOf([-Infinity])).toBe(-Infinity);
  });
});

describe('calibrate', () => {
  it('asks every probe question once, in order, and keeps each best score beside the threshold they give', async () => {
    const asked: [string, number][] = [];
    const calibration = await calibrate(async (q, i) => {
      asked.push([q, i]);
      return i / 100;
    });
    expect(asked).toEqual(PROBE_QUESTIONS.map((q, i) => [q, i]));
    // 95 scores 0.00…0.94: median 0.47, quartiles 0.235 and 0.705 (positions 23.5 and 70.5), a range of 0.47.
    expect(PROBE_QUESTIONS).toHaveLength(95);
    expect(calibration.probes).toEqual(PROBE_QUESTIONS.map((_, i) => i / 100));
    expect(calibration.threshold).toBeCloseTo(0.783565604, 9);
  });
});
