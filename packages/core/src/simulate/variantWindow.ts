import { createLatencyHistogram, encodeLatencyHistogram, recordLatencyMs } from '../histogram/index.js';
import type { SampleWindowData, VariantWindow } from '../window.js';

/**
 * Builds windows as producers send them, for the simulator and for tests: a count, an error count and the encoded
 * latency histogram of the given latencies (each with a multiplicity).
 */
export function variantWindowOf(count: number, errors: number, latencies: ReadonlyArray<readonly [latencyMs: number, count: number]>): VariantWindow {
  if (count === 0) return { count: 0, errors: 0, latencyHistogram: '' };
  const histogram = createLatencyHistogram();
  for (const [latencyMs, n] of latencies) if (n > 0) recordLatencyMs(histogram, latencyMs, n);
  return { count, errors, latencyHistogram: encodeLatencyHistogram(histogram) };
}

/** A window of both variants where every request of a variant had the same latency (handy in tests). */
export function uniformSampleWindow(
  windowStartAt: number,
  windowMs: number,
  baseline: { count: number; errors: number; latencyMs: number },
  canary: { count: number; errors: number; latencyMs: number },
): SampleWindowData {
  return {
    windowStartAt,
    windowEndAt: windowStartAt + windowMs,
    baseline: variantWindowOf(baseline.count, baseline.errors, [[baseline.latencyMs, baseline.count]]),
    canary: variantWindowOf(canary.count, canary.errors, [[canary.latencyMs, canary.count]]),
  };
}
