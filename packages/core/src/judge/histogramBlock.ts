import { EMPTY_SPARSE_HISTOGRAM, mergeTwoSparseHistograms, type SparseLatencyHistogram } from '../histogram/index.js';

/**
 * The latency histogram of a block of windows (a breaker's block, an interval of the presets, the baseline threshold
 * estimate's block), kept merged as windows arrive instead of as the list of its windows. Adding a window costs the
 * size of the two sparse histograms, so judging a block of n windows is linear in n where re-merging the whole block
 * on every window was quadratic, and the state stays small however long the block (its non-zero buckets, at most the
 * histogram's ~20,000).
 *
 * It gives exactly what `mergeHistograms` of the block's windows gives: a one-window block is that window's histogram
 * (in its own layout), a longer one the merge in the standard layout; merging is associative (index-wise sums).
 * Immutable: adding returns a new block, so a state the machine folded past is never changed.
 */
export interface HistogramBlock {
  /** null until a window was added. */
  readonly histogram: SparseLatencyHistogram | null;
  readonly windows: number;
}

export const EMPTY_HISTOGRAM_BLOCK: HistogramBlock = { histogram: null, windows: 0 };

export function addToHistogramBlock(block: HistogramBlock, histogram: SparseLatencyHistogram): HistogramBlock {
  return {
    histogram: block.histogram === null ? histogram : mergeTwoSparseHistograms(block.histogram, histogram),
    windows: block.windows + 1,
  };
}

/**
 * The block as one histogram, as if its merge had been encoded and decoded again: the latency breaker did that past
 * 720 windows to bound its state, and the block then counted as one window. Decoding recomputes the total from the
 * counts, which matters only for the NaN total the library gives some merges of other layouts (sparseHistogram.ts).
 */
export function compactHistogramBlock(block: HistogramBlock): HistogramBlock {
  const histogram = block.histogram;
  if (histogram === null) return block;
  const indexes = histogram.indexes.filter((_, i) => histogram.counts[i]! > 0);
  const counts = histogram.counts.filter((count) => count > 0);
  let totalCount = 0;
  for (const count of counts) totalCount += count;
  return { histogram: totalCount === 0 ? EMPTY_SPARSE_HISTOGRAM : { ...histogram, indexes, counts, totalCount }, windows: 1 };
}
