import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  countSlowerThanMs,
  createLatencyHistogram,
  decodeLatencyHistogram,
  encodeLatencyHistogram,
  latencyMsToUs,
  latencyQuantileMs,
  mergeHistograms,
  recordLatencyMs,
} from './histogram.js';
import { LATENCY_US_MAX } from './window.js';

function histogramOf(latenciesMs: readonly number[]) {
  const histogram = createLatencyHistogram();
  for (const latencyMs of latenciesMs) recordLatencyMs(histogram, latencyMs);
  return histogram;
}

describe('latency histograms', () => {
  it('records in microseconds and answers quantiles in ms', () => {
    const histogram = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(latencyQuantileMs(histogram, 0.5)).toBeCloseTo(50, 1);
    expect(latencyQuantileMs(histogram, 0.99)).toBeCloseTo(99, 0);
    expect(latencyQuantileMs(histogram, 1)).toBeCloseTo(100, 0);
  });

  it('keeps sub-millisecond resolution', () => {
    expect(latencyQuantileMs(histogramOf([0.25]), 0.5)).toBeCloseTo(0.25, 3);
  });

  it('answers null for the quantile of an empty histogram, so no data is never fast', () => {
    expect(latencyQuantileMs(createLatencyHistogram(), 0.99)).toBeNull();
  });

  it('rejects quantiles outside [0, 1]', () => {
    expect(() => latencyQuantileMs(histogramOf([1]), 99)).toThrow(RangeError);
  });

  it('clamps negative and huge latencies into the tracked range', () => {
    expect(latencyMsToUs(-5)).toBe(0);
    expect(latencyMsToUs(Number.NaN)).toBe(0);
    expect(latencyMsToUs(1e12)).toBe(LATENCY_US_MAX);
  });

  it('round-trips through the compressed base64 encoding', () => {
    const histogram = histogramOf([1, 2, 3, 250, 1200]);
    const decoded = decodeLatencyHistogram(encodeLatencyHistogram(histogram));
    expect(decoded.totalCount).toBe(5);
    expect(latencyQuantileMs(decoded, 1)).toBeCloseTo(1200, -1);
  });

  it('encodes an empty histogram as the empty string and decodes it back to empty', () => {
    expect(encodeLatencyHistogram(createLatencyHistogram())).toBe('');
    expect(decodeLatencyHistogram('').totalCount).toBe(0);
  });

  it('rejects a corrupt encoding with SLUICE_E_SAMPLE_INVALID', () => {
    expect(() => decodeLatencyHistogram('not-a-histogram')).toThrow(expect.objectContaining({ code: 'SLUICE_E_SAMPLE_INVALID' }));
  });

  it('counts requests slower than a threshold', () => {
    const histogram = histogramOf([10, 20, 150, 199, 201, 500, 1000]);
    expect(countSlowerThanMs(histogram, 200)).toBe(3);
    expect(countSlowerThanMs(histogram, 0)).toBe(7);
    expect(countSlowerThanMs(histogram, 5000)).toBe(0);
    expect(countSlowerThanMs(createLatencyHistogram(), 1)).toBe(0);
  });

  it('merges without modifying its inputs', () => {
    const a = histogramOf([1, 2]);
    const b = decodeLatencyHistogram(encodeLatencyHistogram(histogramOf([3000])));
    const merged = mergeHistograms([a, b]);
    expect(merged.totalCount).toBe(3);
    expect(a.totalCount).toBe(2);
    expect(latencyQuantileMs(merged, 1)).toBeCloseTo(3000, -1);
  });

  it('merges exactly like recording every value into one histogram, whatever the inputs\' sizes (property)', () => {
    const latencies = fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { maxLength: 60 });
    fc.assert(
      fc.property(fc.array(fc.tuple(latencies, fc.boolean(), fc.integer({ min: 2, max: 4_000_000_000 })), { maxLength: 6 }), (parts) => {
        const all = createLatencyHistogram();
        const inputs = parts.map(([values, roundTrip, presizeUs]) => {
          const histogram = createLatencyHistogram(presizeUs);
          for (const v of values) {
            recordLatencyMs(histogram, v);
            recordLatencyMs(all, v);
          }
          return roundTrip ? decodeLatencyHistogram(encodeLatencyHistogram(histogram)) : histogram;
        });
        const counts = inputs.map((h) => h.totalCount);
        const merged = mergeHistograms(inputs);
        const added = createLatencyHistogram();
        for (const input of inputs) added.add(input);
        expect([merged.totalCount, merged.maxValue]).toEqual([added.totalCount, added.maxValue]);
        // add() re-records a resized input at its buckets' lowest values, so its minNonZeroValue may be the lowest value
        // of the minimum's bucket where the merge keeps the minimum itself: the same bucket, the same quantile 0.
        expect(latencyQuantileMs(merged, 0)).toBe(latencyQuantileMs(added, 0));
        expect(inputs.map((h) => h.totalCount)).toEqual(counts);
        expect(merged.totalCount).toBe(all.totalCount);
        for (const q of [0, 0.5, 0.9, 0.99, 1]) expect(latencyQuantileMs(merged, q)).toBe(latencyQuantileMs(all, q));
        expect(countSlowerThanMs(merged, 100)).toBe(countSlowerThanMs(all, 100));
      }),
    );
  });

  it('counts slower requests as the recorded-values iterator defines them, by index (property)', () => {
    // The definition countSlowerThanMs had before it summed by index: each recorded value's bucket above the threshold.
    const byIterator = (histogram: ReturnType<typeof histogramOf>, thresholdMs: number) => {
      const js = histogram as unknown as {
        recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
        lowestEquivalentValue(value: number): number;
      };
      let slower = 0;
      js.recordedValuesIterator.reset();
      while (js.recordedValuesIterator.hasNext()) {
        const step = js.recordedValuesIterator.next();
        if (js.lowestEquivalentValue(step.valueIteratedTo) > latencyMsToUs(thresholdMs)) slower += step.countAtValueIteratedTo;
      }
      return slower;
    };
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { maxLength: 100 }), fc.double({ min: 0.001, max: 100_000, noNaN: true }), (latencies, thresholdMs) => {
        const histogram = histogramOf(latencies);
        const decoded = decodeLatencyHistogram(encodeLatencyHistogram(histogram));
        expect(countSlowerThanMs(histogram, thresholdMs)).toBe(byIterator(histogram, thresholdMs));
        expect(countSlowerThanMs(decoded, thresholdMs)).toBe(byIterator(decoded, thresholdMs));
      }),
      { numRuns: 100 },
    );
  });

  it('counts slower requests exactly for values far from the threshold (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 200 }), fc.integer({ min: 1, max: 100_000 }), (valuesUs, thresholdUs) => {
        const histogram = histogramOf(valuesUs.map((v) => v / 1000));
        const far = valuesUs.filter((v) => Math.abs(v - thresholdUs) > thresholdUs * 0.002);
        const slowerFar = far.filter((v) => v > thresholdUs).length;
        const near = valuesUs.length - far.length;
        const counted = countSlowerThanMs(histogram, thresholdUs / 1000);
        expect(counted).toBeGreaterThanOrEqual(slowerFar);
        expect(counted).toBeLessThanOrEqual(slowerFar + near);
      }),
    );
  });
});
