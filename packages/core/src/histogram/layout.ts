/**
 * The bucket arithmetic of an HdrHistogram: which bucket index a value falls in, and which values a bucket holds. It is
 * the arithmetic of hdr-histogram-js (and of every HdrHistogram implementation), in the same floating point operations,
 * so that indexes, quantiles and merges come out exactly as they did when windows were decoded with that library:
 * replay must re-judge old logs to the same decisions (layout.test.ts checks it against the library).
 *
 * Histograms record integer microseconds. Sluice records in one layout (STANDARD_LAYOUT: 1 µs, 3 significant digits);
 * producers may push windows in another, which judging keeps as it is and recording converts.
 */

/** Histograms are recorded in microseconds; this is the highest value tracked (1 hour). Larger values are clamped. */
export const LATENCY_US_MAX = 3_600_000_000;
/** Significant decimal digits of the latency histograms Sluice records (relative error ≤ 0.1%). */
export const LATENCY_SIGNIFICANT_DIGITS = 3;

/**
 * Converts a latency to the integer microseconds the histograms record, clamped to [0, LATENCY_US_MAX].
 * Callers validate first (recorder, ingestion); this never throws so that the hot path stays branch-light.
 */
export function latencyMsToUs(latencyMs: number): number {
  const latencyUs = Math.round(latencyMs * 1000);
  if (!(latencyUs > 0)) return 0;
  return latencyUs > LATENCY_US_MAX ? LATENCY_US_MAX : latencyUs;
}

export interface HistogramLayout {
  /** log2 of the lowest discernible value, rounded down (0 for our 1 µs histograms). */
  readonly unitMagnitude: number;
  /** log2 of half the sub-bucket count (10 for 3 significant digits). */
  readonly subBucketHalfCountMagnitude: number;
}

/** As the library's constructor derives it from the lowest discernible value and the significant digits. */
export function layoutOf(lowestDiscernibleValue: number, significantDigits: number): HistogramLayout {
  const largestValueWithSingleUnitResolution = 2 * Math.floor(Math.pow(10, significantDigits));
  const subBucketCountMagnitude = Math.ceil(Math.log2(largestValueWithSingleUnitResolution));
  return {
    unitMagnitude: Math.floor(Math.log2(lowestDiscernibleValue)),
    subBucketHalfCountMagnitude: (subBucketCountMagnitude > 1 ? subBucketCountMagnitude : 1) - 1,
  };
}

/** The layout of every histogram Sluice records: 1 µs, 3 significant digits. */
export const STANDARD_LAYOUT: HistogramLayout = layoutOf(1, LATENCY_SIGNIFICANT_DIGITS);

export function isStandardLayout(layout: HistogramLayout): boolean {
  return layout.unitMagnitude === STANDARD_LAYOUT.unitMagnitude && layout.subBucketHalfCountMagnitude === STANDARD_LAYOUT.subBucketHalfCountMagnitude;
}

/** The library's `countsArrayIndex`: the bucket index of `value`. */
export function indexOfValue(layout: HistogramLayout, value: number): number {
  const bucketIndex = Math.max(Math.floor(Math.log2(value)) - layout.subBucketHalfCountMagnitude - layout.unitMagnitude, 0);
  const subBucketIndex = Math.floor(value / Math.pow(2, bucketIndex + layout.unitMagnitude));
  const subBucketHalfCount = Math.pow(2, layout.subBucketHalfCountMagnitude);
  return (bucketIndex + 1) * subBucketHalfCount + (subBucketIndex - subBucketHalfCount);
}

/** The library's `valueFromIndex`: the lowest value of bucket `index`. */
export function valueOfIndex(layout: HistogramLayout, index: number): number {
  const subBucketHalfCount = Math.pow(2, layout.subBucketHalfCountMagnitude);
  let bucketIndex = Math.floor(index / subBucketHalfCount) - 1;
  let subBucketIndex = (index % subBucketHalfCount) + subBucketHalfCount;
  if (bucketIndex < 0) {
    subBucketIndex -= subBucketHalfCount;
    bucketIndex = 0;
  }
  return subBucketIndex * Math.pow(2, bucketIndex + layout.unitMagnitude);
}

/** The library's `lowestEquivalentValue` (percentile 0) or `highestEquivalentValue` of a value. */
export function equivalentValue(layout: HistogramLayout, value: number, highest: boolean): number {
  const bucketIndex = Math.max(Math.floor(Math.log2(value)) - layout.subBucketHalfCountMagnitude - layout.unitMagnitude, 0);
  const subBucketIndex = Math.floor(value / Math.pow(2, bucketIndex + layout.unitMagnitude));
  const lowest = subBucketIndex * Math.pow(2, bucketIndex + layout.unitMagnitude);
  if (!highest) return lowest;
  const subBucketCount = Math.pow(2, layout.subBucketHalfCountMagnitude + 1);
  return lowest + Math.pow(2, layout.unitMagnitude + (subBucketIndex >= subBucketCount ? bucketIndex + 1 : bucketIndex)) - 1;
}

/** The library's `determineArrayLengthNeeded`: how many buckets a histogram tracking up to `highestTrackableValue` has. */
export function countsArrayLengthOf(layout: HistogramLayout, highestTrackableValue: number): number {
  const subBucketCount = Math.pow(2, layout.subBucketHalfCountMagnitude + 1);
  let smallestUntrackableValue = subBucketCount * Math.pow(2, layout.unitMagnitude);
  let bucketsNeeded = 1;
  while (smallestUntrackableValue <= highestTrackableValue) {
    if (smallestUntrackableValue > Number.MAX_SAFE_INTEGER / 2) {
      bucketsNeeded += 1;
      break;
    }
    smallestUntrackableValue *= 2;
    bucketsNeeded++;
  }
  return (bucketsNeeded + 1) * (subBucketCount / 2);
}

/** Buckets of STANDARD_LAYOUT up to LATENCY_US_MAX: every value Sluice records has an index below this. */
export const STANDARD_COUNTS_LENGTH = countsArrayLengthOf(STANDARD_LAYOUT, LATENCY_US_MAX);

/**
 * `indexOfValue(STANDARD_LAYOUT, value)` for a value in [0, LATENCY_US_MAX], in integer arithmetic: recording calls it
 * for every request. Below 2^32 the bucket is the position of the highest bit above the sub-bucket's 11 bits, and the
 * sub-bucket the value shifted down by it — what the floating point form computes, without log2 (layout.test.ts).
 */
export function standardIndexOf(value: number): number {
  const bucketIndex = Math.max(31 - Math.clz32(value) - STANDARD_SUB_BUCKET_HALF_COUNT_MAGNITUDE, 0);
  return (bucketIndex << STANDARD_SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (value >>> bucketIndex);
}

const STANDARD_SUB_BUCKET_HALF_COUNT_MAGNITUDE = STANDARD_LAYOUT.subBucketHalfCountMagnitude;
