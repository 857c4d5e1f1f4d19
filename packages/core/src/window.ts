/**
 * Request samples are stored as windows: per rollout, per variant, per fixed window, a count, an error count and an
 * HdrHistogram of latency in its V2 encoding, base64 (histogram/codec.ts). Histograms record integer microseconds, so
 * sub-millisecond latencies keep their resolution.
 */
export type Variant = 'baseline' | 'canary';

export interface VariantWindow {
  /** Requests in the window. */
  count: number;
  /** Requests that failed (5xx, transport errors, or whatever the producer counts as an error). */
  errors: number;
  /**
   * HdrHistogram of latency in microseconds, V2 encoding in base64: plain as Sluice writes it from `samples.window`
   * version 2 on, or compressed as version 1 and producers' `encodeIntoCompressedBase64` write it. Empty when count is 0.
   */
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
