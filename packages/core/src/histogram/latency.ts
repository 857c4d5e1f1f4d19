import { SluiceError } from '../errors.js';
import { decodeHistogram, encodeHistogram } from './codec.js';
import { LatencyHistogram } from './LatencyHistogram.js';
import { latencyMsToUs } from './layout.js';
import { sparseCountSlowerThanMs, sparseQuantileMs } from './sparse.js';

/**
 * The latency histograms of sample windows, as the rest of Sluice uses them: values in, milliseconds out, so callers
 * never convert by hand. Recording and merging work on LatencyHistogram; every answer is read from its sparse view,
 * the same functions judging uses (sparse.ts), so a quantile means the same everywhere.
 */

/**
 * An empty histogram. `highestLatencyUs` presizes it for the values expected (each growth on the way up allocates and
 * copies the counts); it still grows past that.
 */
export function createLatencyHistogram(highestLatencyUs = 2): LatencyHistogram {
  return new LatencyHistogram(highestLatencyUs);
}

/** Records one latency, in ms (count > 1 records the same value several times). */
export function recordLatencyMs(histogram: LatencyHistogram, latencyMs: number, count = 1): void {
  const latencyUs = latencyMsToUs(latencyMs);
  if (count === 1) histogram.recordValue(latencyUs);
  else histogram.recordValueWithCount(latencyUs, count);
}

/** The encoding stored in `VariantWindow.latencyHistogram` (plain V2, base64; codec.ts); '' for an empty histogram. */
export function encodeLatencyHistogram(histogram: LatencyHistogram): string {
  return encodeHistogram(histogram.toSparse());
}

/**
 * Decodes a `VariantWindow.latencyHistogram`: plain or compressed V2, base64 (what Sluice writes, and what producers
 * send). The empty string is an empty histogram. A histogram of another layout than ours is converted to ours.
 * @throws SluiceError SLUICE_E_SAMPLE_INVALID when it is not such an encoding (the field comes from producers and from the log).
 */
export function decodeLatencyHistogram(base64: string): LatencyHistogram {
  if (typeof base64 !== 'string') throw new SluiceError('SLUICE_E_SAMPLE_INVALID', 'latencyHistogram must be a base64 string');
  return LatencyHistogram.fromSparse(decodeHistogram(base64));
}

/**
 * The latency at quantile `q` (0–1, e.g. 0.99), in ms, or null when the histogram is empty: no data must never read as
 * a fast service, so the caller has to handle the empty case explicitly.
 */
export function latencyQuantileMs(histogram: LatencyHistogram, q: number): number | null {
  return sparseQuantileMs(histogram.toSparse(), q);
}

/**
 * Requests slower than `thresholdMs`. Resolution is the histogram's (0.1% at 3 significant digits): a value counts as
 * slower when the bucket it was recorded in lies entirely above the threshold, so a value within 0.1% of the threshold
 * may be counted as not slower — the conservative side for a gate that fails on slow requests.
 */
export function countSlowerThanMs(histogram: LatencyHistogram, thresholdMs: number): number {
  if (!Number.isFinite(thresholdMs)) throw new RangeError(`threshold must be a finite number of ms, got ${thresholdMs}`);
  return sparseCountSlowerThanMs(histogram.toSparse(), thresholdMs);
}

/** A new histogram holding every value of `histograms` (inputs are not modified). */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  let highestUs = 2;
  for (const histogram of histograms) if (histogram.maxValue > highestUs) highestUs = histogram.maxValue;
  const merged = new LatencyHistogram(highestUs);
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}
