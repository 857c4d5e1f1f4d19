import { equivalentValue, indexOfValue, isStandardLayout, latencyMsToUs, STANDARD_LAYOUT, valueOfIndex, type HistogramLayout } from './layout.js';

/**
 * A read-only latency histogram that keeps only its non-zero buckets: the form judging reads (a window's histogram
 * holds a few dozen to a few hundred non-zero buckets out of ~20,000), what the codec decodes to and encodes from, and
 * the cached read view of a recording LatencyHistogram.
 *
 * Every result equals what hdr-histogram-js gives on the same histogram, whatever its layout (sparse.test.ts checks it
 * with fast-check): the index arithmetic is the library's (layout.ts), in the same floating point operations, because
 * decisions recorded with that library must replay the same. Bucket counts are 32-bit as in the library's Int32
 * histograms; that holds exactly as long as no bucket of a merge exceeds 2^31 − 1, which no 32-bit encoder can produce
 * and the daemon's count bound excludes.
 */
export interface SparseLatencyHistogram {
  readonly layout: HistogramLayout;
  /**
   * Indexes of the non-zero buckets, ascending, and their counts as 32-bit integers (what an Int32Array would hold).
   * Plain arrays of small integers: they live in the JavaScript heap, where a typed array per window would give the
   * garbage collector a backing store to track for each of them.
   */
  readonly indexes: readonly number[];
  readonly counts: readonly number[];
  /** As the dense histogram reports them (`add` reads both for a histogram of another layout). */
  readonly totalCount: number;
  readonly maxValue: number;
  readonly countsArrayLength: number;
}

export const EMPTY_SPARSE_HISTOGRAM: SparseLatencyHistogram = {
  layout: STANDARD_LAYOUT,
  indexes: [],
  counts: [],
  totalCount: 0,
  maxValue: 0,
  countsArrayLength: 2048,
};

/** The library's `getValueAtPercentile(q × 100)`, in the histogram's unit (µs); 0 when the counts never reach it. */
export function sparseValueAtQuantile(histogram: SparseLatencyHistogram, q: number): number {
  const percentile = q * 100;
  const fpCountAtPercentile = (Math.min(percentile, 100) / 100.0) * histogram.totalCount;
  const ulp = Math.pow(2, Math.floor(Math.log2(fpCountAtPercentile)) - 52);
  const countAtPercentile = Math.max(Math.ceil(fpCountAtPercentile - ulp), 1);
  const { indexes, counts } = histogram;
  let total = 0;
  for (let i = 0; i < indexes.length; i++) {
    total += counts[i]!;
    if (total >= countAtPercentile) return equivalentValue(histogram.layout, valueOfIndex(histogram.layout, indexes[i]!), percentile !== 0.0);
  }
  return 0;
}

/** Counts of the buckets that lie entirely above `thresholdUs` (histogram.ts `countSlowerThanMs`, in µs). */
export function sparseCountAbove(histogram: SparseLatencyHistogram, thresholdUs: number): number {
  if (histogram.totalCount === 0) return 0;
  const first = indexOfValue(histogram.layout, thresholdUs) + 1;
  const { indexes, counts } = histogram;
  let above = 0;
  for (let i = indexes.length - 1; i >= 0 && indexes[i]! >= first; i--) above += counts[i]!;
  return above;
}

/** `latencyQuantileMs` of histogram.ts: the latency at quantile `q` (0–1) in ms, or null when the histogram is empty. */
export function sparseQuantileMs(histogram: SparseLatencyHistogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  if (histogram.totalCount === 0) return null;
  return sparseValueAtQuantile(histogram, q) / 1000;
}

/** `countSlowerThanMs` of histogram.ts: requests whose whole bucket lies above `thresholdMs`. */
export function sparseCountSlowerThanMs(histogram: SparseLatencyHistogram, thresholdMs: number): number {
  return sparseCountAbove(histogram, latencyMsToUs(thresholdMs));
}

/**
 * What `mergeHistograms` gives for these histograms, in the standard layout: counts of the same layout add index by
 * index; a histogram of another layout is re-recorded bucket by bucket at its buckets' lowest values, as the
 * library's `add` does. An empty list, or only empty histograms, gives an empty histogram.
 */
export function mergeSparseHistograms(histograms: readonly SparseLatencyHistogram[]): SparseLatencyHistogram {
  let merged = EMPTY_SPARSE_HISTOGRAM;
  let maxValue = 0;
  for (const histogram of histograms) if (histogram.maxValue > maxValue) maxValue = histogram.maxValue;
  for (const histogram of histograms) {
    if (histogram.totalCount === 0) continue;
    merged = isStandardLayout(histogram.layout) ? addSameLayout(merged, histogram) : addOtherLayout(merged, histogram);
  }
  return { ...merged, maxValue: Math.max(merged.maxValue, maxValue) };
}

/**
 * `mergeSparseHistograms([a, b])`, for the histogram blocks that add each window to their merge so far (so `a` can be
 * long and `b` short): in one pass over both, without the filtered copies and the intermediate merge the general
 * function makes. Each histogram contributes what addSameLayout takes of it (its positive counts up to its maximum's
 * bucket); equal indexes add as addSorted adds them, `a`'s first, with the same 32-bit wrap. A histogram of another
 * layout takes the general path.
 */
export function mergeTwoSparseHistograms(a: SparseLatencyHistogram, b: SparseLatencyHistogram): SparseLatencyHistogram {
  if (!isStandardLayout(a.layout) || !isStandardLayout(b.layout)) return mergeSparseHistograms([a, b]);
  let maxValue = 0;
  if (a.maxValue > maxValue) maxValue = a.maxValue;
  if (b.maxValue > maxValue) maxValue = b.maxValue;
  let totalCount = 0;
  if (a.totalCount !== 0) totalCount += a.totalCount;
  if (b.totalCount !== 0) totalCount += b.totalCount;
  const aEnd = a.totalCount === 0 ? 0 : usedLength(a);
  const bEnd = b.totalCount === 0 ? 0 : usedLength(b);
  // At most aEnd + bEnd entries; allocated once and cut to length, rather than grown by push.
  const indexes = new Array<number>(aEnd + bEnd);
  const counts = new Array<number>(aEnd + bEnd);
  let length = 0;
  let i = 0;
  let j = 0;
  while (true) {
    while (i < aEnd && !(a.counts[i]! > 0)) i++;
    while (j < bEnd && !(b.counts[j]! > 0)) j++;
    if (i >= aEnd && j >= bEnd) break;
    const fromA = j >= bEnd || (i < aEnd && a.indexes[i]! <= b.indexes[j]!);
    const index = fromA ? a.indexes[i]! : b.indexes[j]!;
    const count = fromA ? a.counts[i++]! : b.counts[j++]!;
    if (length > 0 && indexes[length - 1] === index) counts[length - 1] = (counts[length - 1]! + count) | 0;
    else {
      indexes[length] = index;
      counts[length] = count;
      length++;
    }
  }
  indexes.length = length;
  counts.length = length;
  return { layout: EMPTY_SPARSE_HISTOGRAM.layout, indexes, counts, totalCount, maxValue, countsArrayLength: EMPTY_SPARSE_HISTOGRAM.countsArrayLength };
}

/** How many leading entries of a standard-layout histogram lie below its maximum's bucket end (addSameLayout's range). */
function usedLength(histogram: SparseLatencyHistogram): number {
  const end = indexOfValue(histogram.layout, histogram.maxValue) + 1;
  const { indexes } = histogram;
  let length = 0;
  while (length < indexes.length && indexes[length]! < end) length++;
  return length;
}

/** `mergeHistograms` for our layout: the positive counts up to the maximum's bucket, index by index. */
function addSameLayout(target: SparseLatencyHistogram, source: SparseLatencyHistogram): SparseLatencyHistogram {
  const { indexes, counts } = source;
  const end = indexOfValue(source.layout, source.maxValue) + 1;
  const sourceIndexes: number[] = [];
  const sourceCounts: number[] = [];
  for (let i = 0; i < indexes.length && indexes[i]! < end; i++) {
    if (!(counts[i]! > 0)) continue;
    sourceIndexes.push(indexes[i]!);
    sourceCounts.push(counts[i]!);
  }
  const sum = addSorted(target, sourceIndexes, sourceCounts);
  return { ...target, ...sum, totalCount: target.totalCount + source.totalCount };
}

/**
 * The library's `add` of a histogram of another layout: the count at the bucket of its maximum value first (whatever
 * it is), then every positive count below it, each recorded at its bucket's lowest value. For a layout whose lowest
 * discernible value exceeds 1, the maximum value can fall past the last bucket: the library then adds `undefined`,
 * which zeroes that bucket's count in the merge and makes its total NaN. That is reproduced as it is, since decisions
 * recorded with it must replay the same.
 */
function addOtherLayout(target: SparseLatencyHistogram, source: SparseLatencyHistogram): SparseLatencyHistogram {
  const { indexes, counts, layout } = source;
  const maxIndex = indexOfValue(layout, source.maxValue);
  const atMax = indexOfValue(STANDARD_LAYOUT, valueOfIndex(layout, maxIndex));
  let start = target;
  let totalCount = target.totalCount;
  if (maxIndex >= source.countsArrayLength) {
    start = withCountZeroed(target, atMax);
    totalCount = Number.NaN;
  } else {
    const at = indexes.indexOf(maxIndex);
    const count = at >= 0 ? counts[at]! : 0;
    start = { ...start, ...addSorted(start, [atMax], [count]) };
    totalCount += count;
  }
  const sourceIndexes: number[] = [];
  const sourceCounts: number[] = [];
  for (let i = 0; i < indexes.length && indexes[i]! < maxIndex; i++) {
    if (!(counts[i]! > 0)) continue;
    // Re-recording at a bucket's lowest value keeps the order (non-decreasing: several buckets may share one).
    sourceIndexes.push(indexOfValue(STANDARD_LAYOUT, valueOfIndex(layout, indexes[i]!)));
    sourceCounts.push(counts[i]!);
    totalCount += counts[i]!;
  }
  const sum = addSorted(start, sourceIndexes, sourceCounts);
  return { ...start, ...sum, totalCount };
}

function withCountZeroed(histogram: SparseLatencyHistogram, index: number): SparseLatencyHistogram {
  const at = histogram.indexes.indexOf(index);
  if (at < 0) return histogram;
  const counts = histogram.counts.slice();
  counts[at] = 0;
  return { ...histogram, counts };
}

/**
 * Adds (index, count) pairs sorted by index (equal indexes allowed) to a standard-layout histogram, with the 32-bit
 * wrap-around of the library's Int32Array counts (`| 0`).
 */
function addSorted(target: SparseLatencyHistogram, indexes: readonly number[], counts: readonly number[]): { indexes: number[]; counts: number[] } {
  const outIndexes: number[] = [];
  const outCounts: number[] = [];
  let length = 0;
  let a = 0;
  let b = 0;
  while (a < target.indexes.length || b < indexes.length) {
    const fromTarget = b >= indexes.length || (a < target.indexes.length && target.indexes[a]! <= indexes[b]!);
    const index = fromTarget ? target.indexes[a]! : indexes[b]!;
    const count = fromTarget ? target.counts[a++]! : counts[b++]!;
    if (length > 0 && outIndexes[length - 1] === index) outCounts[length - 1] = (outCounts[length - 1]! + count) | 0;
    else {
      outIndexes.push(index);
      outCounts.push(count);
      length++;
    }
  }
  return { indexes: outIndexes, counts: outCounts };
}
