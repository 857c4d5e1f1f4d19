import { sparseQuantileMs, type SparseLatencyHistogram } from '../histogram/index.js';
import { addToHistogramBlock, EMPTY_HISTOGRAM_BLOCK, type HistogramBlock } from './histogramBlock.js';

/**
 * The running estimate of the baseline's latency quantile that sets the comparative latency gate's "slow" threshold.
 * Baseline windows are pooled into blocks of at least `10 / (1 − q)` samples (so each block's quantile is resolved);
 * the estimate is the sample-weighted mean of the blocks' q-quantiles over the stage. It is updated only *after* the
 * window being judged, so the threshold a window is judged with never depends on that window: it is predictable, and
 * the sequential test stays valid although the threshold is estimated (docs/judge.md). Constant size except for the
 * open block's merged histogram (histogramBlock.ts: at most its non-zero buckets).
 *
 * A block also closes after PENDING_WINDOWS_MAX windows whatever its samples (a baseline that almost never sees
 * traffic), as it always has: the blocks, and so the thresholds recorded in the log, depend on it.
 */
const PENDING_WINDOWS_MAX = 720;

export interface BaselineQuantileEstimate {
  /** Σ block quantile × block samples, ms. */
  weightedSumMs: number;
  /** Σ block samples. */
  samples: number;
  /** The open block's merged histogram. */
  pending: HistogramBlock;
  pendingCount: number;
}

export function emptyBaselineQuantile(): BaselineQuantileEstimate {
  return { weightedSumMs: 0, samples: 0, pending: EMPTY_HISTOGRAM_BLOCK, pendingCount: 0 };
}

export function blockSamplesFor(quantile: number): number {
  return Math.ceil(10 / (1 - quantile));
}

/** The current threshold estimate in ms, or null before the first block closed. */
export function baselineQuantileMs(estimate: BaselineQuantileEstimate): number | null {
  return estimate.samples > 0 ? estimate.weightedSumMs / estimate.samples : null;
}

/** Adds one baseline window (its decoded histogram with `count` samples). */
export function addBaselineWindow(estimate: BaselineQuantileEstimate, histogram: SparseLatencyHistogram, count: number, quantile: number): BaselineQuantileEstimate {
  if (count <= 0) return estimate;
  const pending = addToHistogramBlock(estimate.pending, histogram);
  const pendingCount = estimate.pendingCount + count;
  if (pendingCount < blockSamplesFor(quantile) && pending.windows < PENDING_WINDOWS_MAX) {
    return { weightedSumMs: estimate.weightedSumMs, samples: estimate.samples, pending, pendingCount };
  }
  const quantileMs = sparseQuantileMs(pending.histogram!, quantile) ?? 0;
  return { weightedSumMs: estimate.weightedSumMs + quantileMs * pendingCount, samples: estimate.samples + pendingCount, pending: EMPTY_HISTOGRAM_BLOCK, pendingCount: 0 };
}
