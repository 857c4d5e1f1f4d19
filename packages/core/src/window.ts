/**
 * Request samples are stored as windows: per rollout, per variant, per fixed window, a count, an error count and an
 * HdrHistogram of latency in its compressed base64 encoding (hdr-histogram-js `encodeIntoCompressedBase64`).
 * Histograms record integer microseconds, so sub-millisecond latencies keep their resolution.
 */
export type Variant = 'baseline' | 'canary';

export interface VariantWindow {
  /** Requests in the window. */
  count: number;
  /** Requests that failed (5xx, transport errors, or whatever the producer counts as an error). */
  errors: number;
  /** Compressed base64 HdrHistogram of latency in microseconds; empty string when count is 0. */
  latencyHistogram: string;
}

/** One closed window of both variants, as stored in a `samples.window` input event. */
export interface SampleWindowData {
  /** Inclusive start of the window, ms since epoch; windows are aligned to multiples of the window length. */
  windowStartAt: number;
  /** Exclusive end of the window, ms since epoch. */
  windowEndAt: number;
  baseline: VariantWindow;
  canary: VariantWindow;
}

/** One request sample as producers push it (HTTP NDJSON, in-process router, access-log tailer, simulator). */
export interface RequestSample {
  variant: Variant;
  /** When the request finished, ms since epoch. */
  at: number;
  /** Whether the request succeeded. Producers that know only a status code use `isErrorStatus`. */
  ok: boolean;
  latencyMs: number;
}

/** A request is an error when its status is 5xx or it got no status (transport failure, status 0). */
export function isErrorStatus(status: number): boolean {
  return status === 0 || status >= 500;
}

/** Histograms are recorded in microseconds; this is the highest value tracked (1 hour). Larger values are clamped. */
export const LATENCY_US_MAX = 3_600_000_000;
/** Significant decimal digits of the latency histograms (relative error ≤ 0.1%). */
export const LATENCY_SIGNIFICANT_DIGITS = 3;
