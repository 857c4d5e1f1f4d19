import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { SluiceError } from './errors.js';
import { decodeCompressedHistogram } from './histogramDecode.js';
import { LATENCY_SIGNIFICANT_DIGITS, LATENCY_US_MAX } from './window.js';

/**
 * Latency histograms of sample windows. Values are integer microseconds (window.ts), so sub-millisecond latencies keep
 * their resolution; every function here takes and returns milliseconds so callers never convert by hand.
 *
 * We use the pure JavaScript implementation with 32-bit counters, synchronously: WebAssembly needs an asynchronous
 * initialisation and manual `destroy()`, and the packed layout, though smaller, records about 7× slower. Histograms
 * start small and auto-resize up to the values actually recorded (a window of 1–50 ms latencies holds ~30 KB), which
 * is what keeps 1,000 rollouts with open windows well inside the memory budget (docs/benchmarks.md).
 */
export type LatencyHistogram = Histogram;

/**
 * A histogram with the same layout whether it was recorded, decoded or merged. `highestLatencyUs` presizes it for the
 * values expected (each auto-resize on the way up allocates and copies the counts); it still grows past that.
 */
export function createLatencyHistogram(highestLatencyUs = 2): LatencyHistogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: Math.min(LATENCY_US_MAX, Math.max(2, Math.ceil(highestLatencyUs))),
    numberOfSignificantValueDigits: LATENCY_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

/**
 * Converts a latency to the integer microseconds the histograms record, clamped to [0, LATENCY_US_MAX].
 * Callers validate first (recorder, ingestion); this never throws so that the hot path stays branch-light.
 */
export function latencyMsToUs(latencyMs: number): number {
  const latencyUs = Math.round(latencyMs * 1000);
  if (!(latencyUs > 0)) return 0;
  return latencyUs > LATENCY_US_MAX ? LATENCY_US_MAX : latencyUs;
}

/** Records one latency, in ms (count > 1 records the same value several times). */
export function recordLatencyMs(histogram: LatencyHistogram, latencyMs: number, count = 1): void {
  const latencyUs = latencyMsToUs(latencyMs);
  if (count === 1) histogram.recordValue(latencyUs);
  else histogram.recordValueWithCount(latencyUs, count);
}

/** Compressed base64 encoding as stored in `VariantWindow.latencyHistogram`; the empty string for an empty histogram. */
export function encodeLatencyHistogram(histogram: LatencyHistogram): string {
  if (histogram.totalCount === 0) return '';
  return encodeIntoCompressedBase64(histogram);
}

/**
 * Decodes `VariantWindow.latencyHistogram`. The empty string decodes to an empty histogram. Anything that is not a
 * compressed HdrHistogram throws SLUICE_E_SAMPLE_INVALID (the field comes from producers and from the log).
 */
export function decodeLatencyHistogram(base64: string): LatencyHistogram {
  if (base64 === '') return createLatencyHistogram();
  let decoded: Histogram | null = null;
  try {
    decoded = decodeCompressedHistogram(base64);
  } catch {
    decoded = null; // not ours to explain: the library decoder below reports what is wrong
  }
  if (decoded === null) {
    try {
      decoded = decodeFromCompressedBase64(base64, 32, false);
    } catch (error) {
      throw new SluiceError(
        'SLUICE_E_SAMPLE_INVALID',
        `latencyHistogram is not a compressed base64 HdrHistogram (${(error as Error).message}); ` +
          'encode it with encodeIntoCompressedBase64 of hdr-histogram-js, in microseconds',
        { cause: error },
      );
    }
  }
  // Decoded histograms are sized to their content; let later merges grow them.
  decoded.autoResize = true;
  return decoded;
}

/**
 * The latency at quantile `q` (0–1, e.g. 0.99), in ms, or null when the histogram is empty: no data must never read as
 * a fast service, so the caller has to handle the empty case explicitly.
 */
export function latencyQuantileMs(histogram: LatencyHistogram, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  if (histogram.totalCount === 0) return null;
  return histogram.getValueAtPercentile(q * 100) / 1000;
}

/**
 * Requests slower than `thresholdMs`. Resolution is the histogram's (0.1% at 3 significant digits): a value counts as
 * slower when the bucket it was recorded in lies entirely above the threshold, so a value within 0.1% of the threshold
 * may be counted as not slower — the conservative side for a gate that fails on slow requests. It sums the bucket
 * counts above the threshold's bucket by index, where walking the library's recorded-values iterator allocates a step
 * per recorded value (≈ 50× slower on a 1,000-sample window).
 */
export function countSlowerThanMs(histogram: LatencyHistogram, thresholdMs: number): number {
  if (!Number.isFinite(thresholdMs)) throw new RangeError(`threshold must be a finite number of ms, got ${thresholdMs}`);
  const js = asJsHistogram(histogram);
  if (histogram.totalCount === 0) return 0;
  const first = js.countsArrayIndex(latencyMsToUs(thresholdMs)) + 1;
  let slower = 0;
  for (let index = first; index < js.countsArrayLength; index++) slower += js.getCountAtIndex(index);
  return slower;
}

/**
 * A new histogram holding every value of `histograms` (inputs are not modified). It is sized once for the largest
 * value, and counts are added index by index up to each input's maximum: every latency histogram here has the same
 * lowest value (1 µs) and precision, so index i means the same value range in all of them whatever their length.
 * (hdr-histogram-js's `add` does this only for histograms of equal length, over the whole array, and otherwise
 * re-records every non-zero count value by value.) The result equals adding them one by one with `add`.
 */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  let highestUs = 2;
  for (const histogram of histograms) if (histogram.maxValue > highestUs) highestUs = histogram.maxValue;
  const merged = createLatencyHistogram(highestUs);
  const target = asJsHistogram(merged);
  for (const histogram of histograms) {
    const source = asJsHistogram(histogram);
    if (histogram.totalCount === 0) continue;
    if (!hasSameLayout(source, target) || source.countsArrayLength > target.countsArrayLength) {
      merged.add(histogram);
      continue;
    }
    // Only the populated prefix: nothing is counted above the index of the source's maximum.
    const end = Math.min(source.countsArrayLength, source.countsArrayIndex(histogram.maxValue) + 1);
    for (let index = 0; index < end; index++) {
      const count = source.getCountAtIndex(index);
      if (count > 0) target.addToCountAtIndex(index, count);
    }
    // What the library's add() does after adding counts of an equal layout.
    target.setTotalCount(merged.totalCount + histogram.totalCount);
    target.updatedMaxValue(Math.max(merged.maxValue, histogram.maxValue));
    target.updateMinNonZeroValue(Math.min(merged.minNonZeroValue, histogram.minNonZeroValue));
  }
  return merged;
}

function hasSameLayout(a: JsHistogramInternals, b: JsHistogramInternals): boolean {
  return a.unitMagnitude === b.unitMagnitude && a.subBucketCount === b.subBucketCount;
}

interface JsHistogramInternals {
  readonly unitMagnitude: number;
  readonly subBucketCount: number;
  readonly countsArrayLength: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
  addToCountAtIndex(index: number, count: number): void;
  setTotalCount(total: number): void;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
}

/** Every histogram made here is a JsHistogram (useWebAssembly: false), which exposes its iterators. */
function asJsHistogram(histogram: LatencyHistogram): JsHistogramInternals {
  return histogram as unknown as JsHistogramInternals;
}
