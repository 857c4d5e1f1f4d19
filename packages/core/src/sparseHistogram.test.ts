import fc from 'fast-check';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { countSlowerThanMs, decodeLatencyHistogram, latencyQuantileMs, mergeHistograms } from './histogram.js';
import { addToHistogramBlock, EMPTY_HISTOGRAM_BLOCK } from './judge/histogramBlock.js';
import { mergeSparseHistograms, mergeTwoSparseHistograms, sparseCountSlowerThanMs, sparseQuantileMs, STANDARD_LAYOUT, valueOfIndex, type SparseLatencyHistogram } from './sparseHistogram.js';
import { decodeSparseHistogram } from './sparseHistogramDecode.js';

/**
 * The sparse histograms must give exactly what the dense hdr-histogram-js objects give (replay reproduces decisions
 * recorded with them): decoding, quantiles, slow counts and merges, for our layout and for others a producer may use.
 */
interface Dense {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
}

function denseCounts(histogram: Histogram): Map<number, number> {
  const dense = histogram as unknown as Dense;
  const counts = new Map<number, number>();
  for (let i = 0; i < dense.countsArrayLength; i++) if (dense.getCountAtIndex(i) !== 0) counts.set(i, dense.getCountAtIndex(i));
  return counts;
}

function sparseCounts(histogram: SparseLatencyHistogram): Map<number, number> {
  const counts = new Map<number, number>();
  histogram.indexes.forEach((index, i) => {
    if (histogram.counts[i] !== 0) counts.set(index, histogram.counts[i]!);
  });
  return counts;
}

/** A layout: lowest discernible value (µs) and significant digits; ours is [1, 3]. */
const layoutArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.constant<[number, number]>([1, 3]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3, 10, 1000), fc.integer({ min: 0, max: 5 })) },
);

/** An encoded window histogram: latencies in µs with counts, in a random layout and presize. */
const encodedArbitrary = fc
  .record({
    layout: layoutArbitrary,
    values: fc.array(fc.tuple(fc.integer({ min: 0, max: 3_600_000_000 }), fc.integer({ min: 1, max: 50_000 })), { minLength: 1, maxLength: 60 }),
    small: fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 20 })), { maxLength: 60 }),
    highest: fc.integer({ min: 2_000, max: 4_000_000_000 }),
  })
  .map(({ layout: [lowest, digits], values, small, highest }) => {
    const histogram = build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: lowest,
      highestTrackableValue: Math.max(highest, 2 * lowest),
      numberOfSignificantValueDigits: digits as 1 | 2 | 3 | 4 | 5,
      useWebAssembly: false,
    });
    for (const [valueUs, count] of [...values, ...small]) histogram.recordValueWithCount(valueUs, count);
    return encodeIntoCompressedBase64(histogram);
  });

const quantiles = [0, 0.001, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

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
  it('decode the same buckets and total as the dense decoder (property)', () => {
    fc.assert(
      fc.property(encodedArbitrary, (encoded) => {
        const dense = decodeLatencyHistogram(encoded);
        const sparse = decodeSparseHistogram(encoded);
        expect(sparse.totalCount).toBe(dense.totalCount);
        expect(sparseCounts(sparse)).toEqual(denseCounts(dense));
      }),
      { numRuns: 80 },
    );
  });

  it('answer the same quantiles and slow counts as hdr-histogram-js (property)', () => {
    fc.assert(
      fc.property(encodedArbitrary, fc.array(fc.double({ min: 0, max: 4_000_000, noNaN: true }), { minLength: 1, maxLength: 8 }), (encoded, thresholdsMs) => {
        const dense = decodeLatencyHistogram(encoded);
        const sparse = decodeSparseHistogram(encoded);
        for (const q of quantiles) expect(sparseQuantileMs(sparse, q)).toBe(latencyQuantileMs(dense, q));
        for (const thresholdMs of thresholdsMs) expect(sparseCountSlowerThanMs(sparse, thresholdMs)).toBe(countSlowerThanMs(dense, thresholdMs));
      }),
      { numRuns: 80 },
    );
  });

  it('merge to what mergeHistograms gives, whatever the layouts, and fold block by block to the same (property)', () => {
    fc.assert(
      fc.property(fc.array(encodedArbitrary, { minLength: 2, maxLength: 5 }), fc.double({ min: 0, max: 100_000, noNaN: true }), (encoded, thresholdMs) => {
        const dense = mergeHistograms(encoded.map(decodeLatencyHistogram));
        const sparse = mergeSparseHistograms(encoded.map(decodeSparseHistogram));
        let block = EMPTY_HISTOGRAM_BLOCK;
        for (const e of encoded) block = addToHistogramBlock(block, decodeSparseHistogram(e));
        expect(block.windows).toBe(encoded.length);
        for (const merged of [sparse, block.histogram!]) {
          expect(merged.totalCount).toBe(dense.totalCount);
          expect(sparseCounts(merged)).toEqual(denseCounts(dense));
          for (const q of quantiles) expect(sparseQuantileMs(merged, q)).toBe(latencyQuantileMs(dense, q));
          expect(sparseCountSlowerThanMs(merged, thresholdMs)).toBe(countSlowerThanMs(dense, thresholdMs));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('merge two histograms in one pass to exactly what the general merge gives (property)', () => {
    const histogramArbitrary = fc.oneof(sparseArbitrary, encodedArbitrary.map(decodeSparseHistogram));
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
    const histogram = build({ lowestDiscernibleValue: 1000, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
    histogram.recordValueWithCount(123_456, 10);
    const encoded = encodeIntoCompressedBase64(histogram);
    const block = addToHistogramBlock(EMPTY_HISTOGRAM_BLOCK, decodeSparseHistogram(encoded));
    expect(sparseQuantileMs(block.histogram!, 0.5)).toBe(latencyQuantileMs(decodeLatencyHistogram(encoded), 0.5));
    expect(block.histogram!.layout).toEqual({ unitMagnitude: 9, subBucketHalfCountMagnitude: 7 });
  });

  it('decodes the empty string to an empty histogram (no data is never fast) and rejects a corrupt one', () => {
    const empty = decodeSparseHistogram('');
    expect(empty.totalCount).toBe(0);
    expect(sparseQuantileMs(empty, 0.99)).toBeNull();
    expect(sparseCountSlowerThanMs(empty, 1)).toBe(0);
    expect(() => decodeSparseHistogram('not-a-histogram')).toThrow(expect.objectContaining({ code: 'SLUICE_E_SAMPLE_INVALID' }));
    expect(() => sparseQuantileMs(empty, 99)).toThrow(RangeError);
  });
});
