import { decodeLatencyHistogram, type LatencyHistogram } from '../histogram.js';
import type { GateContext } from './gate.js';
import type { SampleWindowData } from '../window.js';

/**
 * Small helpers shared by the gates that read `samples.window` events. Decoding a histogram is the costly part of
 * judging a window, and several gates read the same window, so the last few decodings are memoised by their encoded
 * text (a bounded cache: the result depends only on the text, so this cannot change any verdict).
 */
const DECODED_CACHE_ENTRIES_MAX = 16;
const decodedCache = new Map<string, LatencyHistogram>();

/** Decodes a window's latency histogram; the returned histogram must not be modified (it may be shared). */
export function decodeWindowHistogram(encoded: string): LatencyHistogram {
  const cached = decodedCache.get(encoded);
  if (cached) return cached;
  const decoded = decodeLatencyHistogram(encoded);
  if (decodedCache.size >= DECODED_CACHE_ENTRIES_MAX) {
    const oldest = decodedCache.keys().next().value;
    if (oldest !== undefined) decodedCache.delete(oldest);
  }
  decodedCache.set(encoded, decoded);
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
