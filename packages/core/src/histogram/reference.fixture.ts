import fc from 'fast-check';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, JsHistogram, type Histogram } from 'hdr-histogram-js';
import { latencyMsToUs } from './layout.js';
import type { SparseLatencyHistogram } from './sparse.js';

/**
 * hdr-histogram-js as the reference the histogram folder is tested against: Sluice recorded and judged windows with it
 * until `samples.window` version 2, so every decision in an old log was computed with its arithmetic. Tests only; the
 * library's counts are read through the public methods of its exported JsHistogram class.
 */
export function referenceHistogram(lowest = 1, digits = 3, highest = 3_600_000_000): JsHistogram {
  const histogram = build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: lowest,
    highestTrackableValue: Math.max(highest, 2 * lowest),
    numberOfSignificantValueDigits: digits as 1 | 2 | 3 | 4 | 5,
    useWebAssembly: false,
  });
  return asJs(histogram);
}

export function asJs(histogram: Histogram): JsHistogram {
  if (!(histogram instanceof JsHistogram)) throw new Error('expected a JsHistogram (useWebAssembly: false)');
  return histogram;
}

export function referenceDecode(encoded: string): JsHistogram {
  return asJs(decodeFromCompressedBase64(encoded, 32, false));
}

/** The library's non-zero counts by bucket index. */
export function referenceCounts(histogram: JsHistogram): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < histogram.countsArrayLength; i++) if (histogram.getCountAtIndex(i) !== 0) counts.set(i, histogram.getCountAtIndex(i));
  return counts;
}

export function sparseCounts(histogram: SparseLatencyHistogram): Map<number, number> {
  const counts = new Map<number, number>();
  histogram.indexes.forEach((index, i) => {
    if (histogram.counts[i] !== 0) counts.set(index, histogram.counts[i]!);
  });
  return counts;
}

/** What Sluice's dense `latencyQuantileMs` answered with the library: null when empty. */
export function referenceQuantileMs(histogram: JsHistogram, q: number): number | null {
  return histogram.totalCount === 0 ? null : histogram.getValueAtPercentile(q * 100) / 1000;
}

/** What Sluice's dense `countSlowerThanMs` answered with the library: the counts of the buckets above the threshold's. */
export function referenceSlowerThanMs(histogram: JsHistogram, thresholdMs: number): number {
  if (histogram.totalCount === 0) return 0;
  let slower = 0;
  for (let i = histogram.countsArrayIndex(latencyMsToUs(thresholdMs)) + 1; i < histogram.countsArrayLength; i++) slower += histogram.getCountAtIndex(i);
  return slower;
}

/** What Sluice's dense `mergeHistograms` gave with the library: each added, one by one, to an empty histogram of ours. */
export function referenceMerge(histograms: readonly JsHistogram[]): JsHistogram {
  const merged = referenceHistogram(1, 3, 2);
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

/** A layout: lowest discernible value (µs) and significant digits; ours is [1, 3]. */
export const layoutArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.constant<[number, number]>([1, 3]) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3, 10, 1000), fc.integer({ min: 0, max: 5 })) },
);

/** A window histogram as a producer sends it: compressed by the library, in a random layout and presize. */
export const compressedArbitrary = fc
  .record({
    layout: layoutArbitrary,
    values: fc.array(fc.tuple(fc.integer({ min: 0, max: 3_600_000_000 }), fc.integer({ min: 1, max: 50_000 })), { minLength: 1, maxLength: 60 }),
    small: fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 20 })), { maxLength: 60 }),
    highest: fc.integer({ min: 2_000, max: 4_000_000_000 }),
  })
  .map(({ layout: [lowest, digits], values, small, highest }) => {
    const histogram = referenceHistogram(lowest, digits, highest);
    for (const [valueUs, count] of [...values, ...small]) histogram.recordValueWithCount(valueUs, count);
    return encodeIntoCompressedBase64(histogram);
  });

/** Latencies in µs with counts, as recording sees them (our layout). */
export const recordedArbitrary = fc.array(fc.tuple(fc.integer({ min: 0, max: 3_600_000_000 }), fc.integer({ min: 1, max: 1_000 })), { minLength: 1, maxLength: 80 });

export const QUANTILES = [0, 0.001, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
