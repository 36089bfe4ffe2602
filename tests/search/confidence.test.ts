import { describe, expect, it } from 'vitest';
import { MARGIN_SDS, PROBE_QUANTILE, thresholdOf } from '../../src/search/confidence.js';

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
