import { latencyQuantileMs } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { bucketsToHistogram } from './bucketsToHistogram.js';

// 100 observations: 50 in (0, 0.1], 40 in (0.1, 0.5], 10 in (0.5, 1] seconds.
const buckets = [
  { upperBound: 0.5, count: 90 },
  { upperBound: 0.1, count: 50 },
  { upperBound: 1, count: 100 },
  { upperBound: Infinity, count: 100 },
];

describe('bucketsToHistogram', () => {
  it('places observations at the bucket upper bounds', () => {
    const { histogram, totalCount } = bucketsToHistogram(buckets, 'seconds', 'upperBound');
    expect(totalCount).toBe(100);
    expect(histogram.totalCount).toBe(100);
    expect(latencyQuantileMs(histogram, 0.5)).toBeCloseTo(100, 0);
    expect(latencyQuantileMs(histogram, 0.9)).toBeCloseTo(500, 0);
    expect(latencyQuantileMs(histogram, 0.99)).toBeCloseTo(1000, 0);
  });

  it('spreads observations linearly inside each bucket, close to histogram_quantile', () => {
    const { histogram } = bucketsToHistogram(buckets, 'seconds', 'linear');
    // histogram_quantile(0.7) = 100 + (500-100) × (70-50)/40 = 300 ms; the spread is 16 points per bucket.
    const p70 = latencyQuantileMs(histogram, 0.7)!;
    expect(Math.abs(p70 - 300)).toBeLessThan(400 / 16);
    const p25 = latencyQuantileMs(histogram, 0.25)!;
    expect(Math.abs(p25 - 50)).toBeLessThan(100 / 16);
  });

  it('rounds extrapolated counts without drift and tolerates non-monotonic counts', () => {
    const { histogram, totalCount } = bucketsToHistogram(
      [
        { upperBound: 0.1, count: 10.4 },
        { upperBound: 0.2, count: 10.2 }, // extrapolation made it dip below the previous bucket
        { upperBound: Infinity, count: 20.6 },
      ],
      'seconds',
      'upperBound',
    );
    expect(totalCount).toBe(21);
    expect(histogram.totalCount).toBe(21);
    // The 11 observations above 0.2 s are placed at the highest finite bound.
    expect(latencyQuantileMs(histogram, 1)).toBeCloseTo(200, 0);
  });

  it('reads milliseconds buckets and refuses a histogram without finite buckets', () => {
    const { histogram } = bucketsToHistogram([{ upperBound: 250, count: 4 }], 'milliseconds', 'upperBound');
    expect(latencyQuantileMs(histogram, 0.5)).toBeCloseTo(250, 0);
    expect(() => bucketsToHistogram([{ upperBound: Infinity, count: 4 }], 'seconds', 'linear')).toThrow(/only the \+Inf/);
  });

  it('gives an empty histogram for zero counts', () => {
    const { histogram, totalCount } = bucketsToHistogram([{ upperBound: 0.1, count: 0 }, { upperBound: Infinity, count: 0 }], 'seconds', 'linear');
    expect(totalCount).toBe(0);
    expect(latencyQuantileMs(histogram, 0.5)).toBeNull();
  });
});
