import { SluiceError } from '../errors.js';
import type { RequestSample, Variant } from '../window.js';

/**
 * Input checks of the recorder. Samples come from producers over HTTP and files, so every field is checked and a
 * failure names the rollout and the field.
 */

/** A pre-aggregated window of one variant, as a producer that counts by itself pushes it. */
export interface AggregateSample {
  variant: Variant;
  /** Start of the window, ms since epoch; must be a multiple of the rollout's window length. */
  windowStartAt: number;
  count: number;
  errors: number;
  /** Compressed base64 HdrHistogram of latency in microseconds, holding `count` values; omitted when unknown. */
  latencyHistogram?: string;
}

export function sampleInvalid(rolloutId: string, field: string, problem: string): SluiceError {
  return new SluiceError('SLUICE_E_SAMPLE_INVALID', `rollout "${rolloutId}" sample: ${field}: ${problem}`);
}

export function checkVariant(rolloutId: string, variant: unknown): asserts variant is Variant {
  if (variant !== 'baseline' && variant !== 'canary') {
    throw sampleInvalid(rolloutId, 'variant', `must be "baseline" or "canary", got ${JSON.stringify(variant)}`);
  }
}

export function checkRequestSample(rolloutId: string, sample: RequestSample): void {
  if (typeof sample !== 'object' || sample === null) throw sampleInvalid(rolloutId, 'sample', 'must be an object');
  checkVariant(rolloutId, sample.variant);
  if (typeof sample.at !== 'number' || !(sample.at >= 0) || !Number.isFinite(sample.at)) {
    throw sampleInvalid(rolloutId, 'at', `must be a finite, non-negative number of ms since epoch, got ${String(sample.at)}`);
  }
  if (typeof sample.ok !== 'boolean') throw sampleInvalid(rolloutId, 'ok', `must be a boolean, got ${JSON.stringify(sample.ok)}`);
  if (typeof sample.latencyMs !== 'number' || !(sample.latencyMs >= 0) || !Number.isFinite(sample.latencyMs)) {
    throw sampleInvalid(rolloutId, 'latencyMs', `must be a finite, non-negative number, got ${String(sample.latencyMs)}`);
  }
}

export function checkAggregateSample(rolloutId: string, aggregate: AggregateSample, windowMs: number): void {
  if (typeof aggregate !== 'object' || aggregate === null) throw sampleInvalid(rolloutId, 'aggregate', 'must be an object');
  checkVariant(rolloutId, aggregate.variant);
  const { windowStartAt, count, errors } = aggregate;
  if (!Number.isSafeInteger(windowStartAt) || windowStartAt < 0 || windowStartAt % windowMs !== 0) {
    throw sampleInvalid(rolloutId, 'windowStartAt', `must be a non-negative multiple of the window length ${windowMs} ms, got ${String(windowStartAt)}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) throw sampleInvalid(rolloutId, 'count', `must be a non-negative integer, got ${String(count)}`);
  if (!Number.isSafeInteger(errors) || errors < 0 || errors > count) {
    throw sampleInvalid(rolloutId, 'errors', `must be an integer within [0, count = ${count}], got ${String(errors)}`);
  }
  if (aggregate.latencyHistogram !== undefined && typeof aggregate.latencyHistogram !== 'string') {
    throw sampleInvalid(rolloutId, 'latencyHistogram', 'must be a compressed base64 HdrHistogram string');
  }
}
