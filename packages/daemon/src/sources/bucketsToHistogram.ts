import { createLatencyHistogram, LATENCY_US_MAX, type LatencyHistogram } from '@sluice/core';

/**
 * Turns the cumulative bucket counts of a Prometheus classic histogram (`..._bucket{le="…"}`, here already the
 * increase within one window) into the HdrHistogram a `samples.window` event stores.
 *
 * A Prometheus histogram only knows how many observations fell into each bucket, not where inside it, so the result is
 * an approximation and its resolution is the bucket layout's, not HdrHistogram's 0.1%:
 * - `linear` (default) spreads each bucket's observations evenly between its lower and upper bound — the same
 *   assumption `histogram_quantile()` makes, so quantiles agree with Prometheus's own within (bucket width / 2k),
 *   k = min(observations, `POINTS_PER_BUCKET_MAX`).
 * - `upperBound` records every observation at its bucket's upper bound: quantiles are never underestimated (the
 *   pessimistic choice for a latency limit), and read exactly the bucket bounds.
 * The first bucket's lower bound is 0. Observations in the `+Inf` bucket above the highest finite bound are recorded at
 * that bound (as `histogram_quantile()` returns it): a histogram whose buckets stop below the latencies that matter
 * cannot tell how slow they were, so give it a bucket above your latency limit.
 * `increase()` extrapolates to the window's edges, so counts are fractional; cumulative counts are rounded to integers
 * before differencing (so rounding never drifts) and forced non-decreasing (extrapolation can break monotonicity).
 */
export interface CumulativeBucket {
  /** The `le` label as a number (Infinity for "+Inf"), in `unit`. */
  upperBound: number;
  /** Cumulative count of observations ≤ upperBound. */
  count: number;
}

export type BucketValue = 'linear' | 'upperBound';
export type LatencyUnit = 'seconds' | 'milliseconds' | 'microseconds';

export const POINTS_PER_BUCKET_MAX = 16;
/** More buckets than any sane histogram has (Prometheus's default is 11); a larger result is a query mistake. */
export const BUCKETS_MAX = 1_000;

const US_PER_UNIT: Record<LatencyUnit, number> = { seconds: 1_000_000, milliseconds: 1_000, microseconds: 1 };

export interface BucketsHistogram {
  histogram: LatencyHistogram;
  /** Observations recorded (the rounded `+Inf` count, or the highest bucket's when there is no `+Inf`). */
  totalCount: number;
}

/** Throws RangeError on a malformed bucket list (no finite bound, NaN bound, too many buckets); callers wrap it. */
export function bucketsToHistogram(buckets: readonly CumulativeBucket[], unit: LatencyUnit, bucketValue: BucketValue): BucketsHistogram {
  if (buckets.length > BUCKETS_MAX) throw new RangeError(`${buckets.length} buckets, more than ${BUCKETS_MAX}: aggregate with sum by (le)`);
  for (const b of buckets) {
    if (Number.isNaN(b.upperBound)) throw new RangeError('a bucket has an `le` label that is not a number');
  }
  const sorted = [...buckets].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length > 0 && !sorted.some((b) => Number.isFinite(b.upperBound))) {
    throw new RangeError('the histogram has only the +Inf bucket, so latencies cannot be placed: add finite buckets');
  }
  const usPerUnit = US_PER_UNIT[unit];
  const histogram = createLatencyHistogram();
  let previousBound = 0;
  let previousCumulative = 0;
  let highestFinite = 0;
  for (const bucket of sorted) {
    const cumulative = Math.max(previousCumulative, Number.isFinite(bucket.count) ? Math.round(bucket.count) : 0);
    const count = cumulative - previousCumulative;
    if (Number.isFinite(bucket.upperBound)) {
      if (count > 0) recordBucket(histogram, previousBound * usPerUnit, bucket.upperBound * usPerUnit, count, bucketValue);
      previousBound = bucket.upperBound;
      highestFinite = bucket.upperBound;
    } else if (count > 0) {
      recordAt(histogram, highestFinite * usPerUnit, count);
    }
    previousCumulative = cumulative;
  }
  return { histogram, totalCount: previousCumulative };
}

function recordBucket(histogram: LatencyHistogram, lowerUs: number, upperUs: number, count: number, bucketValue: BucketValue): void {
  if (bucketValue === 'upperBound' || upperUs <= lowerUs) {
    recordAt(histogram, upperUs, count);
    return;
  }
  // k points at the centres of k equal slices of (lower, upper], each with its share of the count; shares are the
  // differences of rounded-down cumulative shares, so the count stays even along the bucket (no lump at one end).
  const points = Math.min(count, POINTS_PER_BUCKET_MAX);
  for (let i = 0; i < points; i++) {
    const share = Math.floor(((i + 1) * count) / points) - Math.floor((i * count) / points);
    if (share > 0) recordAt(histogram, lowerUs + ((i + 0.5) * (upperUs - lowerUs)) / points, share);
  }
}

function recordAt(histogram: LatencyHistogram, valueUs: number, count: number): void {
  const us = Math.min(LATENCY_US_MAX, Math.max(1, Math.round(valueUs)));
  histogram.recordValueWithCount(us, count);
}
