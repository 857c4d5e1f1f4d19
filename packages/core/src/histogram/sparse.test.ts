import fc from 'fast-check';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { addToHistogramBlock, EMPTY_HISTOGRAM_BLOCK } from '../judge/histogramBlock.js';
import { decodeHistogram } from './codec.js';
import { STANDARD_LAYOUT, valueOfIndex } from './layout.js';
import {
  compressedArbitrary,
  QUANTILES,
  referenceCounts,
  referenceDecode,
  referenceHistogram,
  referenceMerge,
  referenceQuantileMs,
  referenceSlowerThanMs,
  sparseCounts,
} from './reference.fixture.js';
import { mergeSparseHistograms, mergeTwoSparseHistograms, sparseCountSlowerThanMs, sparseQuantileMs, type SparseLatencyHistogram } from './sparse.js';

/**
 * The sparse histograms must give exactly what hdr-histogram-js gives (replay reproduces decisions recorded with it):
 * quantiles, slow counts and merges, for our layout and for others a producer may use.
 */

/**
 * A sparse histogram in our layout as a merge can leave it, not only as a decoder makes it: zero and wrapped negative
 * counts, buckets past its maximum's, a total that does not match (or NaN).
 */
const sparseArbitrary = fc
  .record({
    buckets: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 23_000 }), fc.integer({ min: -3, max: 2 ** 31 - 1 })), { selector: ([index]) => index, maxLength: 40 }),
    // The maximum: 0, any value, or one in (or next to) a bucket of the list, where the cut-off is decided.
    maxValue: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4_000_000_000 })),
    maxAtBucket: fc.option(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 }))),
    totalCount: fc.oneof(fc.constant(0), fc.constant(Number.NaN), fc.integer({ min: 1, max: 2 ** 40 })),
  })
  .map(({ buckets, maxValue, maxAtBucket, totalCount }): SparseLatencyHistogram => {
    const sorted = [...buckets].sort(([x], [y]) => x - y);
    const indexes = sorted.map(([index]) => index);
    const max = maxAtBucket && indexes.length > 0 ? valueOfIndex(STANDARD_LAYOUT, Math.max(0, indexes[maxAtBucket[0] % indexes.length]! + maxAtBucket[1])) : maxValue;
    return { layout: STANDARD_LAYOUT, indexes, counts: sorted.map(([, count]) => count), totalCount, maxValue: max, countsArrayLength: 23_552 };
  });

describe('sparse latency histograms', () => {
  it('answer the same quantiles and slow counts as hdr-histogram-js (property)', () => {
    fc.assert(
      fc.property(compressedArbitrary, fc.array(fc.double({ min: 0, max: 4_000_000, noNaN: true }), { minLength: 1, maxLength: 8 }), (encoded, thresholdsMs) => {
        const reference = referenceDecode(encoded);
        const sparse = decodeHistogram(encoded);
        for (const q of QUANTILES) expect(sparseQuantileMs(sparse, q)).toBe(referenceQuantileMs(reference, q));
        for (const thresholdMs of thresholdsMs) expect(sparseCountSlowerThanMs(sparse, thresholdMs)).toBe(referenceSlowerThanMs(reference, thresholdMs));
      }),
      { numRuns: 80 },
    );
  });

  it('merge to what the library\'s add gives, whatever the layouts, and fold block by block to the same (property)', () => {
    fc.assert(
      fc.property(fc.array(compressedArbitrary, { minLength: 2, maxLength: 5 }), fc.double({ min: 0, max: 100_000, noNaN: true }), (encoded, thresholdMs) => {
        const reference = referenceMerge(encoded.map(referenceDecode));
        const sparse = mergeSparseHistograms(encoded.map(decodeHistogram));
        let block = EMPTY_HISTOGRAM_BLOCK;
        for (const e of encoded) block = addToHistogramBlock(block, decodeHistogram(e));
        expect(block.windows).toBe(encoded.length);
        for (const merged of [sparse, block.histogram!]) {
          expect(merged.totalCount).toBe(reference.totalCount);
          expect(sparseCounts(merged)).toEqual(referenceCounts(reference));
          for (const q of QUANTILES) expect(sparseQuantileMs(merged, q)).toBe(referenceQuantileMs(reference, q));
          expect(sparseCountSlowerThanMs(merged, thresholdMs)).toBe(referenceSlowerThanMs(reference, thresholdMs));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('merge two histograms in one pass to exactly what the general merge gives (property)', () => {
    const histogramArbitrary = fc.oneof(sparseArbitrary, compressedArbitrary.map(decodeHistogram));
    fc.assert(
      fc.property(histogramArbitrary, histogramArbitrary, histogramArbitrary, (a, b, c) => {
        const merged = mergeTwoSparseHistograms(a, b);
        expect(merged).toStrictEqual(mergeSparseHistograms([a, b]));
        expect(mergeTwoSparseHistograms(merged, c)).toStrictEqual(mergeSparseHistograms([mergeSparseHistograms([a, b]), c]));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a one-window block in its own layout, as judging a single window always did', () => {
    const histogram = referenceHistogram(1000, 2);
    histogram.recordValueWithCount(123_456, 10);
    const encoded = encodeIntoCompressedBase64(histogram);
    const block = addToHistogramBlock(EMPTY_HISTOGRAM_BLOCK, decodeHistogram(encoded));
    expect(sparseQuantileMs(block.histogram!, 0.5)).toBe(referenceQuantileMs(referenceDecode(encoded), 0.5));
    expect(block.histogram!.layout).toEqual({ unitMagnitude: 9, subBucketHalfCountMagnitude: 7 });
  });

  it('answer null for the quantile of an empty histogram (no data is never fast), 0 slow requests, and refuse quantiles outside [0, 1]', () => {
    const empty = decodeHistogram('');
    expect(empty.totalCount).toBe(0);
    expect(sparseQuantileMs(empty, 0.99)).toBeNull();
    expect(sparseCountSlowerThanMs(empty, 1)).toBe(0);
    expect(() => sparseQuantileMs(empty, 99)).toThrow(RangeError);
  });
});
