/**
 * Latency histograms: recording (LatencyHistogram), the one codec of window histograms (codec.ts: HdrHistogram V2,
 * plain or compressed, base64), and the sparse form judging reads (sparse.ts). The rest of core imports from here.
 */
export { LatencyHistogram } from './LatencyHistogram.js';
export { createLatencyHistogram, recordLatencyMs, encodeLatencyHistogram, decodeLatencyHistogram, latencyQuantileMs, countSlowerThanMs, mergeHistograms } from './latency.js';
export { decodeHistogram as decodeSparseHistogram, INFLATED_BYTES_MAX } from './codec.js';
export { latencyMsToUs, LATENCY_US_MAX, LATENCY_SIGNIFICANT_DIGITS, STANDARD_LAYOUT, valueOfIndex } from './layout.js';
export type { HistogramLayout } from './layout.js';
export {
  EMPTY_SPARSE_HISTOGRAM,
  mergeSparseHistograms,
  mergeTwoSparseHistograms,
  sparseCountAbove,
  sparseCountSlowerThanMs,
  sparseQuantileMs,
  sparseValueAtQuantile,
} from './sparse.js';
export type { SparseLatencyHistogram } from './sparse.js';
