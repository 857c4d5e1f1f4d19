import type { SparseLatencyHistogram } from '../sparseHistogram.js';
import { decodeSparseHistogram } from '../sparseHistogramDecode.js';
import type { GateContext } from './gate.js';
import type { SampleWindowData, VariantWindow } from '../window.js';

/**
 * Small helpers shared by the gates that read `samples.window` events.
 *
 * Decoding a window's latency histogram is the costly part of judging it, and several gates read the same window
 * (the latency breaker, the comparative latency gate and its threshold estimate, the presets), so each variant's
 * histogram is decoded at most once per event: the decoding is remembered for the event's `VariantWindow` object, as
 * long as that object lives (a WeakMap, so nothing outlives the event and no two events share an entry). Inputs are
 * immutable values (the log and the session never modify an event after creating it); the result depends only on the
 * encoded text, so this cannot change a verdict.
 */
const decodedByWindow = new WeakMap<VariantWindow, SparseLatencyHistogram>();

/** The window's latency histogram, decoded once per event; do not modify it (it is shared by the gates). */
export function windowHistogram(window: VariantWindow): SparseLatencyHistogram {
  const cached = decodedByWindow.get(window);
  if (cached) return cached;
  const decoded = decodeSparseHistogram(window.latencyHistogram);
  decodedByWindow.set(window, decoded);
  return decoded;
}

/**
 * A window mixes two weights when it started before the weight in force was verified as applied (or when nothing has
 * been verified yet in this stage). Rates per variant stay meaningful in such a window; only the canary's share does not.
 */
export function isMixedWeightWindow(window: SampleWindowData, context: GateContext): boolean {
  return context.weightAppliedAt === null || window.windowStartAt < context.weightAppliedAt;
}

/** `part / whole` in percent, or null when `whole` is 0 (no data is not a rate of 0). */
export function percentOf(part: number, whole: number): number | null {
  return whole > 0 ? (100 * part) / whole : null;
}

/** Formats a percentage for summaries: "4.1%", "0.032%", "n/a". */
export function formatPercent(value: number | null): string {
  if (value === null) return 'n/a';
  const digits = value === 0 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}%`;
}

/** Rounds a number for evidence so that decision events stay short and replay compares equal values. */
export function roundForEvidence(value: number, digits = 6): number {
  if (!Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}
