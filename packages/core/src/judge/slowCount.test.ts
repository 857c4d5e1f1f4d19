import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSlowerThanMs, createLatencyHistogram, decodeLatencyHistogram, encodeLatencyHistogram, recordLatencyMs } from '../histogram.js';
import { slowerThanCount } from './slowCount.js';

describe('slowerThanCount', () => {
  it('agrees with countSlowerThanMs on random histograms and thresholds', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { maxLength: 100 }), fc.double({ min: 0.001, max: 100_000, noNaN: true }), (latencies, threshold) => {
        const h = createLatencyHistogram();
        for (const l of latencies) recordLatencyMs(h, l);
        const decoded = decodeLatencyHistogram(encodeLatencyHistogram(h));
        expect(slowerThanCount(decoded, threshold)).toBe(countSlowerThanMs(decoded, threshold));
        expect(slowerThanCount(h, threshold)).toBe(countSlowerThanMs(h, threshold));
      }),
      { numRuns: 100 },
    );
  });
});
