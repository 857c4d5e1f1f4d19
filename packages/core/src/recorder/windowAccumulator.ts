import { createLatencyHistogram, encodeLatencyHistogram, type LatencyHistogram } from '../histogram.js';
import type { SampleWindowData, Variant, VariantWindow } from '../window.js';

/** One variant of one open window. The histogram is created on the first latency, so an idle variant costs nothing. */
export interface VariantAccumulator {
  count: number;
  errors: number;
  histogram: LatencyHistogram | null;
}

/** One open window of one rollout: both variants, aligned to a multiple of the rollout's window length. */
export interface WindowAccumulator {
  windowStartAt: number;
  windowEndAt: number;
  baseline: VariantAccumulator;
  canary: VariantAccumulator;
}

export function newWindowAccumulator(windowStartAt: number, windowMs: number): WindowAccumulator {
  return {
    windowStartAt,
    windowEndAt: windowStartAt + windowMs,
    baseline: { count: 0, errors: 0, histogram: null },
    canary: { count: 0, errors: 0, histogram: null },
  };
}

export function variantOf(window: WindowAccumulator, variant: Variant): VariantAccumulator {
  return variant === 'canary' ? window.canary : window.baseline;
}

export function histogramOf(accumulator: VariantAccumulator): LatencyHistogram {
  accumulator.histogram ??= createLatencyHistogram();
  return accumulator.histogram;
}

/** The closed window as stored in a `samples.window` event; histograms are encoded once, here. */
export function toSampleWindowData(window: WindowAccumulator): SampleWindowData {
  return {
    windowStartAt: window.windowStartAt,
    windowEndAt: window.windowEndAt,
    baseline: toVariantWindow(window.baseline),
    canary: toVariantWindow(window.canary),
  };
}

function toVariantWindow(accumulator: VariantAccumulator): VariantWindow {
  return {
    count: accumulator.count,
    errors: accumulator.errors,
    latencyHistogram: accumulator.histogram ? encodeLatencyHistogram(accumulator.histogram) : '',
  };
}
