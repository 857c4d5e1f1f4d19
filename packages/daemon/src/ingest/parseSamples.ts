import { isErrorStatus, type Variant } from '@sluice/core';
import { parseNdjsonLines, shown, variantNamed, type RejectedLine } from './ndjsonLines.js';

/** Lines per batch; a longer body is refused whole (split it). */
export const BATCH_LINES_MAX = 200_000;
/** Rejected lines reported individually in a response; the rest are only counted. */
export const REJECTED_LINES_REPORTED_MAX = 100;
/** Samples stamped further than this in the future are refused: a clock that far off would open windows early. */
export const SAMPLE_FUTURE_MS_MAX = 60_000;

/** One accepted per-request sample, as parsed from a line. */
export interface ParsedSample {
  line: number;
  variant: Variant;
  ok: boolean;
  latencyMs: number;
  at: number;
}

export type { RejectedLine } from './ndjsonLines.js';

export interface ParsedBatch {
  samples: ParsedSample[];
  rejected: RejectedLine[];
}

/** 1973-03-03 in ms: a smaller `at` is almost certainly seconds since epoch sent where milliseconds are expected. */
const MS_SINCE_EPOCH_MIN = 100_000_000_000;

/**
 * Parses an NDJSON body of per-request samples. Each non-blank line is one JSON object:
 * `{"variant":"canary","ok":true,"latencyMs":12.3,"at":1732400000000}` or with `"status":503` instead of `ok`.
 * `at` (ms since epoch, or an ISO-8601 string) defaults to `receivedAt`. A bad line is rejected with its number and
 * the reason; the other lines are kept (docs/api.md "Partial acceptance").
 */
export function parseSampleLines(text: string, receivedAt: number): ParsedBatch {
  const { items: samples, rejected } = parseNdjsonLines(text, (value, line) => toSample(value, receivedAt, line));
  return { samples, rejected };
}

/**
 * Counts the lines of a body without parsing it (for the batch bound). The newline that ends the last line, as NDJSON
 * producers write it, does not start another line: a batch of exactly BATCH_LINES_MAX lines is within the bound.
 */
export function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.endsWith('\n') ? lines - 1 : lines;
}

function toSample(value: unknown, receivedAt: number, line: number): ParsedSample | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  const variant = variantNamed(record.variant);
  if (!variant) return `variant must be "canary" or "baseline" (${record.variant === undefined ? 'missing' : `got ${shown(record.variant)}`})`;
  let ok: boolean;
  if (typeof record.ok === 'boolean') {
    ok = record.ok;
    // Both given and disagreeing: the producer's two statements contradict each other, and neither can be trusted to
    // be the one it meant, so the line is refused rather than counted either way (docs/api.md, "Samples").
    if (Number.isInteger(record.status) && ok === isErrorStatus(record.status as number)) {
      return `"ok": ${String(ok)} contradicts "status": ${String(record.status)}, which is ${ok ? 'an error' : 'a success'}; send "ok" alone to override how the status is classified`;
    }
  } else if (Number.isInteger(record.status) && (record.status as number) >= 0 && (record.status as number) <= 999) ok = !isErrorStatus(record.status as number);
  else if (record.ok === undefined && record.status === undefined) return 'needs "ok" (boolean) or "status" (integer HTTP status, 0 for a transport failure)';
  else return `needs "ok" (boolean) or "status" (integer HTTP status 0–999, 0 for a transport failure) (got ${record.ok !== undefined ? `"ok": ${shown(record.ok)}` : `"status": ${shown(record.status)}`})`;
  const latencyMs = record.latencyMs;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    return `latencyMs must be a non-negative number of ms (${latencyMs === undefined ? 'missing' : `got ${shown(latencyMs)}`})`;
  }
  let at = receivedAt;
  if (typeof record.at === 'number' && Number.isFinite(record.at) && record.at > 0) at = Math.floor(record.at);
  else if (typeof record.at === 'string' && Number.isFinite(Date.parse(record.at))) at = Date.parse(record.at);
  else if (record.at !== undefined) return `at must be ms since epoch or an ISO-8601 time (got ${shown(record.at)})`;
  // Any such time is long before any rollout, so the line would be refused as late; say the likely cause instead.
  if (at < MS_SINCE_EPOCH_MIN) return `at is ${at}, which reads as ${new Date(at).toISOString()}: it looks like seconds since epoch — send milliseconds (× 1000) or an ISO-8601 time`;
  if (at > receivedAt + SAMPLE_FUTURE_MS_MAX) return `at is ${at - receivedAt} ms in the future (more than ${SAMPLE_FUTURE_MS_MAX} ms); check the producer's clock`;
  return { line, variant, ok, latencyMs, at };
}
