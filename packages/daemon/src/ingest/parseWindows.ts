import { decodeLatencyHistogram } from '@sluice/core';
import type { AggregateWindow } from './IngestPipeline.js';
import { parseNdjsonLines, shown, variantNamed, type RejectedLine } from './ndjsonLines.js';
import { SAMPLE_FUTURE_MS_MAX } from './parseSamples.js';

/** Requests one pre-aggregated line may carry. */
export const WINDOW_COUNT_MAX = 1_000_000_000;

/**
 * Parses an NDJSON body of pre-aggregated windows, one per line:
 * `{"variant":"canary","windowStartAt":1732400000000,"count":120,"errors":3,"latencyHistogram":"HISTFAAA…"}`.
 * `windowStartAt` must be aligned to the rollout's window length; `latencyHistogram` (compressed base64 HdrHistogram
 * of microseconds) is optional. Bad lines are rejected with their number and reason; the others are kept.
 */
export function parseWindowLines(text: string, windowMs: number, receivedAt: number): { windows: AggregateWindow[]; rejected: RejectedLine[] } {
  const { items: windows, rejected } = parseNdjsonLines(text, (value, line) => toWindow(value, windowMs, receivedAt, line));
  return { windows, rejected };
}

function toWindow(value: unknown, windowMs: number, receivedAt: number, line: number): AggregateWindow | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const r = value as Record<string, unknown>;
  const variant = variantNamed(r.variant);
  if (!variant) return `variant must be "canary" or "baseline" (${r.variant === undefined ? 'missing' : `got ${shown(r.variant)}`})`;
  if (!Number.isSafeInteger(r.windowStartAt) || (r.windowStartAt as number) <= 0) return 'windowStartAt must be ms since epoch (an integer)';
  if ((r.windowStartAt as number) % windowMs !== 0) return `windowStartAt must be a multiple of the rollout's window (${windowMs} ms)`;
  // The same bound as a sample's `at`: a window far ahead would hold one of the rollout's few open windows until its
  // time comes, and enough of them would refuse every real sample as "too far ahead".
  const aheadMs = (r.windowStartAt as number) - receivedAt;
  if (aheadMs > SAMPLE_FUTURE_MS_MAX) return `windowStartAt is ${aheadMs} ms in the future (more than ${SAMPLE_FUTURE_MS_MAX} ms); check the producer's clock`;
  if (!Number.isSafeInteger(r.count) || (r.count as number) < 0 || (r.count as number) > WINDOW_COUNT_MAX) return `count must be an integer in [0, ${WINDOW_COUNT_MAX}]`;
  if (!Number.isSafeInteger(r.errors) || (r.errors as number) < 0 || (r.errors as number) > (r.count as number)) return 'errors must be an integer in [0, count]';
  const window: AggregateWindow = { line, variant, windowStartAt: r.windowStartAt as number, count: r.count as number, errors: r.errors as number };
  if (r.latencyHistogram !== undefined && r.latencyHistogram !== '') {
    if (typeof r.latencyHistogram !== 'string') return 'latencyHistogram must be a compressed base64 HdrHistogram string';
    try {
      const histogram = decodeLatencyHistogram(r.latencyHistogram);
      if (histogram.totalCount !== r.count) return `latencyHistogram holds ${histogram.totalCount} values but count is ${String(r.count)}`;
    } catch (error) {
      return (error as Error).message;
    }
    window.latencyHistogram = r.latencyHistogram;
  }
  return window;
}
