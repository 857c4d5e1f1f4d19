import { latencyQuantileMs, mergeHistograms } from '../histogram.js';
import { decodeWindowHistogram } from './windowStats.js';

/**
 * The running estimate of the baseline's latency quantile that sets the comparative latency gate's "slow" threshold.
 * Baseline windows are pooled into blocks of at least `10 / (1 − q)` samples (so each block's quantile is resolved);
 * the estimate is the sample-weighted mean of the blocks' q-quantiles over the stage. It is updated only *after* the
 * window being judged, so the threshold a window is judged with never depends on that window: it is predictable, and
 * the sequential test stays valid although the threshold is estimated (docs/judge.md). Plain data, so gate state stays
 * serialisable; constant size except for the open block's encoded histograms (bounded).
 */
const PENDING_HISTOGRAMS_MAX = 720;

export interface BaselineQuantileEstimate {
  /** Σ block quantile × block samples, ms. */
  weightedSumMs: number;
  /** Σ block samples. */
  samples: number;
  pendingHistograms: string[];
  pendingCount: number;
}

export function emptyBaselineQuantile(): BaselineQuantileEstimate {
  return { weightedSumMs: 0, samples: 0, pendingHistograms: [], pendingCount: 0 };
}

export function blockSamplesFor(quantile: number): number {
  return Math.ceil(10 / (1 - quantile));
}

/** The current threshold estimate in ms, or null before the first block closed. */
export function baselineQuantileMs(estimate: BaselineQuantileEstimate): number | null {
  return estimate.samples > 0 ? estimate.weightedSumMs / estimate.samples : null;
}

/** Adds one baseline window (encoded histogram with `count` samples). */
export function addBaselineWindow(estimate: BaselineQuantileEstimate, encoded: string, count: number, quantile: number): BaselineQuantileEstimate {
  if (count <= 0) return estimate;
  const pendingHistograms = [...estimate.pendingHistograms, encoded];
  const pendingCount = estimate.pendingCount + count;
  if (pendingCount < blockSamplesFor(quantile) && pendingHistograms.length < PENDING_HISTOGRAMS_MAX) {
    return { ...estimate, pendingHistograms, pendingCount };
  }
  const block = pendingHistograms.length === 1 ? decodeWindowHistogram(pendingHistograms[0]!) : mergeHistograms(pendingHistograms.map(decodeWindowHistogram));
  const quantileMs = latencyQuantileMs(block, quantile) ?? 0;
  return { weightedSumMs: estimate.weightedSumMs + quantileMs * pendingCount, samples: estimate.samples + pendingCount, pendingHistograms: [], pendingCount: 0 };
}
