import { describe, expect, it } from 'vitest';
import { calibrate, MARGIN_SDS, PROBE_QUESTIONS, PROBE_QUANTILE, thresholdOf } from '../../src/search/confidence.js';

describe('thresholdOf', () => {
  it('is the probes\' 90th percentile raised by a quarter of their standard deviation', () => {
    expect([PROBE_QUANTILE, MARGIN_SDS]).toEqual([0.9, 0.25]);
    // Ten scores 0.1…1.0: the 90th percentile (index 9 of 10) is 1.0; their standard deviation is 0.2872281323.
    const scores = [0.5, 0.1, 0.9, 0.3, 1.0, 0.2, 0.7, 0.4, 0.8, 0.6];
    expect(thresholdOf(scores)).toBeCloseTo(1.0 + 0.25 * 0.28722813232690143, 12);
    // One probe far above the rest (a question the corpus happens to answer) moves it less than the highest would.
    const outlier = [...Array.from({ length: 19 }, () => 0.3), 0.9];
    expect(thresholdOf(outlier)).toBeLessThan(0.9);
    expect(thresholdOf(outlier)).toBeGreaterThan(0.3);
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
    // 40 scores 0.00…0.39: the 0.9 quantile is index 36 (0.36); their standard deviation is 0.11543396380615195.
    expect(calibration.probes).toEqual(PROBE_QUESTIONS.map((_, i) => i / 100));
    expect(calibration.threshold).toBeCloseTo(0.36 + 0.25 * 0.11543396380615195, 12);
  });
});
