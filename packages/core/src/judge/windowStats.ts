import type { SparseLatencyHistogram } from '../histogram/index.js';
import { decodeSparseHistogram } from '../histogram/index.js';
import type { GateContext } from './gate.js';
import type { SampleWindowData, VariantWindow } from '../window.js';

/**
 * Small helpers shared by the gates that read `samples.window` events.
 *
 * Decoding a window's latency histogram is the costly part of judging it, and several gates read the same window
 * (the latency breaker, the comparative latency gate and its threshold estimate, the presets), so each variant's
 * histogram is decoded at most once per event: the decodings of the last few `VariantWindow` objects seen are kept
 * and found by identity. The gates of a stage read an event's windows one after the other within one `decide`, so a
 * handful of entries is enough. Inputs are immutable values (the log and the session never modify an event after
 * creating it) and the result depends only on the encoded text, so this cannot change a verdict.
 *
 * Not a WeakMap keyed by the window, as it was: every WeakMap entry is an ephemeron that young-generation collections
 * must trace, and with one short-lived entry per window that made garbage collection about half of replay's time
 * (replay of the bench log, 30 rounds: 26,000 → 45,000 events/s; scavenge time 1,260 → 557 ms).
 */
const RECENT_WINDOWS = 4;
const recentWindows: (VariantWindow | null)[] = new Array<VariantWindow | null>(RECENT_WINDOWS).fill(null);
const recentDecoded: (SparseLatencyHistogram | null)[] = new Array<SparseLatencyHistogram | null>(RECENT_WINDOWS).fill(null);
let recentNext = 0;

/** The window's latency histogram, decoded once per event; do not modify it (it is shared by the gates). */
export function windowHistogram(window: VariantWindow): SparseLatencyHistogram {
  for (let i = 0; i < RECENT_WINDOWS; i++) if (recentWindows[i] === window) return recentDecoded[i]!;
  const decoded = decodeSparseHistogram(window.latencyHistogram);
  recentWindows[recentNext] = window;
  recentDecoded[recentNext] = decoded;
  recentNext = (recentNext + 1) % RECENT_WINDOWS;
  return decoded;
}

/**
 * `compute` of a gate's config, computed once per config object: for the texts and rounded constants that a gate's
 * evidence repeats on every window (formatting a number costs more than judging the window). Gate configs are parts of
 * the spec, which is never modified, so what is derived from one stays valid; a WeakMap lets it go with the spec.
 */
export function oncePerGateConfig<Config extends object, Value>(compute: (config: Config) => Value): (config: Config) => Value {
  const cache = new WeakMap<Config, Value>();
  return (config) => {
    let value = cache.get(config);
    if (value === undefined) {
      value = compute(config);
      cache.set(config, value);
    }
    return value;
  };
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

/**
 * Rounds a number for evidence so that decision events stay short and replay compares equal values: exactly
 * `Number(value.toPrecision(digits))`, as it always was. Every judged window rounds a dozen numbers, and formatting and
 * parsing each cost more than the rest of judging it, so the rounding is done in arithmetic where that is provably
 * the same (roundedInArithmetic) and through the string otherwise.
 */
export function roundForEvidence(value: number, digits = 6): number {
  if (!Number.isFinite(value)) return value;
  const rounded = roundedInArithmetic(value, digits);
  return Number.isNaN(rounded) ? Number(value.toPrecision(digits)) : rounded;
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Scaled values closer than this to a rounding tie go through the string (the scaling error is below 1e-7). */
const TIE_MARGIN = 1e-6;

/**
 * `Number(value.toPrecision(digits))` computed as round(|value| · 10^shift) / 10^shift, or NaN when that could differ.
 * toPrecision rounds the exact binary value to `digits` significant digits and Number() rounds that decimal to the
 * nearest double. Here, with 10^shift exact (|shift| ≤ 22), the scaled value carries one rounding error, below 1e-7
 * while it has at most 9 digits before the point; unless it lies within TIE_MARGIN of a tie, rounding it gives the same
 * integer mantissa m as rounding the exact value. Then m / 10^shift (or m · 10^−shift) is one correctly rounded IEEE
 * operation on exact operands: the double nearest the decimal m · 10^−shift, which is what Number() returns. Anything
 * else — more digits, zero, exponents without an exact power of ten, a log10 off by one next to a power of ten,
 * near-ties — is NaN, and the caller formats and parses.
 */
function roundedInArithmetic(value: number, digits: number): number {
  if (digits > 9) return Number.NaN;
  const magnitude = Math.abs(value);
  const shift = digits - 1 - Math.floor(Math.log10(magnitude));
  if (shift > 22 || shift < -22) return Number.NaN;
  const scaled = shift >= 0 ? magnitude * POWERS_OF_TEN[shift]! : magnitude / POWERS_OF_TEN[-shift]!;
  // The mantissa must have exactly `digits` digits; otherwise log10 misjudged the exponent.
  if (!(scaled >= POWERS_OF_TEN[digits - 1]! && scaled < POWERS_OF_TEN[digits]!)) return Number.NaN;
  const whole = Math.floor(scaled);
  const fraction = scaled - whole;
  if (Math.abs(fraction - 0.5) < TIE_MARGIN) return Number.NaN;
  const mantissa = fraction > 0.5 ? whole + 1 : whole;
  const rounded = shift >= 0 ? mantissa / POWERS_OF_TEN[shift]! : mantissa * POWERS_OF_TEN[-shift]!;
  return value < 0 ? -rounded : rounded;
}
