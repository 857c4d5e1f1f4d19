import type { LatencyHistogram } from '../histogram.js';

/**
 * A compact running estimate of the baseline's latency distribution: counts in logarithmic bins of 1% width, kept
 * sparse (a service's latencies span a few hundred bins). Used by the comparative latency gate to set its
 * "slow" threshold from the baseline windows *before* the window being judged, so the threshold is predictable and the
 * sequential test stays valid (docs/judge.md). Plain data, so gate state stays serialisable.
 */
const BIN_LOG_WIDTH = Math.log(1.01);
/** Distinct bins kept; beyond this the sketch stops adding new bins (counts of existing bins still grow). */
const BINS_MAX = 4_096;

export interface LatencyBins {
  total: number;
  /** Bin index → count; bin k holds latencies in [1.01^k, 1.01^(k+1)) microseconds. */
  counts: Record<string, number>;
}

export function emptyLatencyBins(): LatencyBins {
  return { total: 0, counts: {} };
}

/** Adds every value of a decoded histogram (microsecond values) to the bins; returns new bins. */
export function addHistogramToBins(bins: LatencyBins, histogram: LatencyHistogram): LatencyBins {
  if (histogram.totalCount === 0) return bins;
  const counts = { ...bins.counts };
  let size = Object.keys(counts).length;
  let total = bins.total;
  forEachRecordedValue(histogram, (valueUs, count) => {
    const key = String(Math.floor(Math.log(Math.max(valueUs, 1)) / BIN_LOG_WIDTH));
    if (counts[key] === undefined) {
      if (size >= BINS_MAX) return;
      size += 1;
      counts[key] = 0;
    }
    counts[key] += count;
    total += count;
  });
  return { total, counts };
}

/** The q-quantile in ms (upper edge of the bin holding it), or null when the bins are empty. */
export function binsQuantileMs(bins: LatencyBins, q: number): number | null {
  if (bins.total === 0) return null;
  const keys = Object.keys(bins.counts).map(Number).sort((a, b) => a - b);
  const rank = Math.ceil(q * bins.total);
  let seen = 0;
  for (const key of keys) {
    seen += bins.counts[String(key)] ?? 0;
    if (seen >= rank) return Math.exp((key + 1) * BIN_LOG_WIDTH) / 1000;
  }
  return Math.exp(((keys.at(-1) ?? 0) + 1) * BIN_LOG_WIDTH) / 1000;
}

interface CountsByIndex {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
}

/** Histograms in Sluice are JS HdrHistograms (histogram.ts); walking the counts by index allocates nothing. */
function forEachRecordedValue(histogram: LatencyHistogram, visit: (valueUs: number, count: number) => void): void {
  const h = histogram as unknown as CountsByIndex;
  for (let i = 0; i < h.countsArrayLength; i++) {
    const count = h.getCountAtIndex(i);
    if (count > 0) visit(h.valueFromIndex(i), count);
  }
}
