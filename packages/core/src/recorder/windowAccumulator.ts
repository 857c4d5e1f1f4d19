import { createLatencyHistogram, encodeLatencyHistogram, type LatencyHistogram } from '../histogram/index.js';
import type { SampleWindowData, Variant, VariantWindow } from '../window.js';

/**
 * Latencies of a variant's window are first kept raw, in a typed array of 4 bytes a value, and only moved into an
 * HdrHistogram once there are more than PENDING_LATENCIES_MAX of them. A histogram of 1 µs–500 ms at 3 significant
 * digits holds ~40 KB of counters whatever the sample count, so below ~8,000 samples raw values are smaller; recording
 * is then an array store, and the histogram is built once, sized for the values seen, when the window closes.
 */
export const PENDING_LATENCIES_MAX = 8_192;
const PENDING_LATENCIES_INITIAL = 64;

/** One variant of one open window. */
export interface VariantAccumulator {
  count: number;
  errors: number;
  /** Latencies in µs not yet in `histogram` (Uint32: the clamp LATENCY_US_MAX = 3.6e9 fits). */
  pending: Uint32Array | null;
  pendingLength: number;
  histogram: LatencyHistogram | null;
}

/** One open window of one rollout: both variants, aligned to a multiple of the rollout's window length. */
export interface WindowAccumulator {
  windowStartAt: number;
  windowEndAt: number;
  baseline: VariantAccumulator;
  canary: VariantAccumulator;
}

function newVariantAccumulator(): VariantAccumulator {
  return { count: 0, errors: 0, pending: null, pendingLength: 0, histogram: null };
}

export function newWindowAccumulator(windowStartAt: number, windowMs: number): WindowAccumulator {
  return { windowStartAt, windowEndAt: windowStartAt + windowMs, baseline: newVariantAccumulator(), canary: newVariantAccumulator() };
}

export function variantOf(window: WindowAccumulator, variant: Variant): VariantAccumulator {
  return variant === 'canary' ? window.canary : window.baseline;
}

/** Records one latency (integer µs, already clamped). */
export function recordLatencyUs(accumulator: VariantAccumulator, latencyUs: number): void {
  if (accumulator.histogram !== null) {
    accumulator.histogram.recordValue(latencyUs);
    return;
  }
  let pending = accumulator.pending;
  if (pending === null) {
    pending = accumulator.pending = new Uint32Array(PENDING_LATENCIES_INITIAL);
  } else if (accumulator.pendingLength === pending.length) {
    if (pending.length >= PENDING_LATENCIES_MAX) {
      histogramOf(accumulator).recordValue(latencyUs);
      return;
    }
    // Grow by half, not double: a busy window's buffer is its largest allocation, so keep the slack small.
    const grown = new Uint32Array(Math.min(PENDING_LATENCIES_MAX, Math.ceil(pending.length * 1.5)));
    grown.set(pending);
    pending = accumulator.pending = grown;
  }
  pending[accumulator.pendingLength++] = latencyUs;
}

/** The variant's histogram, created now (holding every pending latency) if it does not exist yet. */
export function histogramOf(accumulator: VariantAccumulator): LatencyHistogram {
  if (accumulator.histogram !== null) return accumulator.histogram;
  const pending = accumulator.pending;
  const length = accumulator.pendingLength;
  let highestUs = 2;
  for (let i = 0; i < length; i++) if (pending![i]! > highestUs) highestUs = pending![i]!;
  const histogram = createLatencyHistogram(highestUs);
  for (let i = 0; i < length; i++) histogram.recordValue(pending![i]!);
  accumulator.histogram = histogram;
  accumulator.pending = null;
  accumulator.pendingLength = 0;
  return histogram;
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
  const hasLatencies = accumulator.histogram !== null || accumulator.pendingLength > 0;
  return {
    count: accumulator.count,
    errors: accumulator.errors,
    latencyHistogram: hasLatencies ? encodeLatencyHistogram(histogramOf(accumulator)) : '',
  };
}
