import { sparseQuantileMs } from '../histogram/index.js';
import type { SampleWindowData } from '../window.js';
import { addToHistogramBlock, EMPTY_HISTOGRAM_BLOCK, type HistogramBlock } from './histogramBlock.js';
import { windowHistogram } from './windowStats.js';

/**
 * Pools sample windows into the fixed check intervals of the Flagger and Argo presets (their `interval`), the way
 * their Prometheus queries aggregate over the last interval. An interval closes with the first window that ends at or
 * after its end; intervals in which no window arrived close empty (no data).
 */
export interface IntervalAccumulator {
  /** End of the open interval, ms since epoch; null until the first window fixes the origin. */
  intervalEndAt: number | null;
  canaryCount: number;
  canaryErrors: number;
  /** The interval's merged canary histogram. */
  canaryHistogram: HistogramBlock;
}

/** The canary's numbers over one closed interval; rates are null when it had no canary requests (a NaN query). */
export interface IntervalMeasurement {
  endAt: number;
  canaryCount: number;
  canaryErrors: number;
  successRatePercent: number | null;
  latencyMsP99: number | null;
}

export function emptyIntervals(): IntervalAccumulator {
  return { intervalEndAt: null, canaryCount: 0, canaryErrors: 0, canaryHistogram: EMPTY_HISTOGRAM_BLOCK };
}

/** Adds a window; returns the new accumulator and the intervals that closed (in order, possibly several). */
export function addWindowToIntervals(
  acc: IntervalAccumulator,
  window: SampleWindowData,
  intervalMs: number,
): { acc: IntervalAccumulator; closed: IntervalMeasurement[] } {
  let current: IntervalAccumulator = acc.intervalEndAt === null ? { ...acc, intervalEndAt: window.windowStartAt + intervalMs } : acc;
  const closed: IntervalMeasurement[] = [];
  // Intervals that ended before this window started closed without it (empty ones included).
  while (current.intervalEndAt !== null && window.windowStartAt >= current.intervalEndAt) {
    closed.push(measure(current));
    current = { ...emptyIntervals(), intervalEndAt: current.intervalEndAt + intervalMs };
  }
  current = {
    ...current,
    canaryCount: current.canaryCount + window.canary.count,
    canaryErrors: current.canaryErrors + window.canary.errors,
    canaryHistogram: window.canary.count > 0 ? addToHistogramBlock(current.canaryHistogram, windowHistogram(window.canary)) : current.canaryHistogram,
  };
  if (current.intervalEndAt !== null && window.windowEndAt >= current.intervalEndAt) {
    closed.push(measure(current));
    current = { ...emptyIntervals(), intervalEndAt: current.intervalEndAt + intervalMs };
  }
  return { acc: current, closed };
}

function measure(acc: IntervalAccumulator): IntervalMeasurement {
  const hasData = acc.canaryCount > 0;
  const merged = hasData ? acc.canaryHistogram.histogram : null;
  return {
    endAt: acc.intervalEndAt ?? 0,
    canaryCount: acc.canaryCount,
    canaryErrors: acc.canaryErrors,
    successRatePercent: hasData ? (100 * (acc.canaryCount - acc.canaryErrors)) / acc.canaryCount : null,
    latencyMsP99: merged ? sparseQuantileMs(merged, 0.99) : null,
  };
}
