import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexOfValue, LATENCY_US_MAX, latencyMsToUs, STANDARD_COUNTS_LENGTH, STANDARD_LAYOUT, standardIndexOf, valueOfIndex } from './layout.js';
import { referenceHistogram } from './reference.fixture.js';

describe('histogram layout arithmetic', () => {
  const reference = referenceHistogram(1, 3, LATENCY_US_MAX);

  it('finds the library\'s bucket index for any value, in floating point and in the integer form recording uses (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LATENCY_US_MAX }), (value) => {
        const index = reference.countsArrayIndex(value);
        expect(indexOfValue(STANDARD_LAYOUT, value)).toBe(index);
        expect(standardIndexOf(value)).toBe(index);
        expect(valueOfIndex(STANDARD_LAYOUT, index)).toBe(reference.valueFromIndex(index));
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees at every power of two and next to it, where the bucket changes', () => {
    for (let bit = 0; bit < 32; bit++) {
      for (const value of [2 ** bit - 1, 2 ** bit, 2 ** bit + 1]) {
        if (value < 0 || value > LATENCY_US_MAX) continue;
        expect(standardIndexOf(value)).toBe(reference.countsArrayIndex(value));
      }
    }
    expect(standardIndexOf(LATENCY_US_MAX)).toBeLessThan(STANDARD_COUNTS_LENGTH);
    expect(STANDARD_COUNTS_LENGTH).toBe(reference.countsArrayLength);
  });

  it('clamps latencies into the tracked range, in whole microseconds', () => {
    expect(latencyMsToUs(-5)).toBe(0);
    expect(latencyMsToUs(Number.NaN)).toBe(0);
    expect(latencyMsToUs(1e12)).toBe(LATENCY_US_MAX);
    expect(latencyMsToUs(0.2504)).toBe(250);
  });
});
