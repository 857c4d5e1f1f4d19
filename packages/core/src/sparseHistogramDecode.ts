import { HEADER_BYTES, readEncodedHistogram } from './histogramEncoding.js';
import { decodeLatencyHistogram } from './histogram.js';
import { EMPTY_SPARSE_HISTOGRAM, equivalentValue, layoutOf, sparseFromDense, valueOfIndex, type SparseLatencyHistogram } from './sparseHistogram.js';

/**
 * Decodes a `VariantWindow.latencyHistogram` (compressed base64 V2 HdrHistogram) straight into its non-zero buckets,
 * without building the dense histogram: Node's base64 and native zlib, then one pass over the ZigZag LEB128 counts
 * (a negative value −n is a run of n empty buckets). It reads exactly what histogramDecode.ts reads (same checks, same
 * 32-bit counts, same total), and leaves what that decoder does not recognise to `decodeLatencyHistogram`, which falls
 * back to hdr-histogram-js or throws SLUICE_E_SAMPLE_INVALID. The empty string is an empty histogram.
 * The header is read by histogramEncoding.ts.
 */

/**
 * Scratch space of the decoding loop, reused by every call (decoding is synchronous and never re-entered); the result
 * is copied out at its exact size, so a window leaves one array of each kind behind, not the growth steps of two.
 */
let scratchIndexes = new Int32Array(4_096);
let scratchCounts = new Int32Array(4_096);

export function decodeSparseHistogram(base64: string): SparseLatencyHistogram {
  if (base64 === '') return EMPTY_SPARSE_HISTOGRAM;
  return decodeFast(base64) ?? sparseFromDense(decodeLatencyHistogram(base64));
}

function decodeFast(base64: string): SparseLatencyHistogram | null {
  const encoded = readEncodedHistogram(base64);
  if (encoded === null) return null;
  const { inner, end, payloadBytes, significantDigits, lowest, highest } = encoded;
  const layout = layoutOf(lowest, significantDigits);
  const countsArrayLength = countsArrayLengthOf(layout, highest);
  // At most one non-zero bucket per payload byte.
  if (scratchIndexes.length < payloadBytes) {
    scratchIndexes = new Int32Array(payloadBytes);
    scratchCounts = new Int32Array(payloadBytes);
  }
  const scratchI = scratchIndexes;
  const scratchC = scratchCounts;
  let length = 0;
  let position = HEADER_BYTES;
  let index = 0;
  let total = 0;
  let maxIndex = -1;
  while (position < end) {
    // ZigZag LEB128 of up to 9 bytes, as the library writes it (7 bits a byte). Up to four bytes (values below 2^28,
    // every count of a window) in 32-bit integer arithmetic; longer ones in Number arithmetic as the library does.
    let byte = inner[position++]!;
    let value = byte & 0x7f;
    if (byte & 0x80) {
      byte = inner[position++]!;
      value |= (byte & 0x7f) << 7;
      if (byte & 0x80) {
        byte = inner[position++]!;
        value |= (byte & 0x7f) << 14;
        if (byte & 0x80) {
          byte = inner[position++]!;
          value |= (byte & 0x7f) << 21;
          let multiplier = 2 ** 28;
          for (let i = 4; i < 9 && (byte & 0x80) !== 0; i++) {
            byte = inner[position++]!;
            value += (byte & 0x7f) * multiplier;
            multiplier *= 128;
          }
        }
      }
    }
    value = value < 2 ** 28 ? (value >>> 1) ^ -(value & 1) : value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    if (value < 0) {
      index -= value;
      continue;
    }
    if (index >= countsArrayLength) return null;
    if (value > 0) {
      // Stored as the library's Int32Array stores it (wrapping above 2^31 − 1); the total adds the value as read.
      scratchI[length] = index;
      scratchC[length++] = value;
      total += value;
      maxIndex = index;
    }
    index++;
  }
  // As the dense decoder sets it: the highest value of the last bucket read, plus the unit's mask.
  const maxValue = maxIndex < 0 ? 0 : equivalentValue(layout, valueOfIndex(layout, maxIndex), true) + Math.pow(2, layout.unitMagnitude) - 1;
  const indexes = new Array<number>(length);
  const counts = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    indexes[i] = scratchI[i]!;
    counts[i] = scratchC[i]!;
  }
  return { layout, indexes, counts, totalCount: total, maxValue, countsArrayLength };
}

/** The library's `determineArrayLengthNeeded` for a highest trackable value. */
function countsArrayLengthOf(layout: { unitMagnitude: number; subBucketHalfCountMagnitude: number }, highestTrackableValue: number): number {
  const subBucketCount = Math.pow(2, layout.subBucketHalfCountMagnitude + 1);
  let smallestUntrackableValue = subBucketCount * Math.pow(2, layout.unitMagnitude);
  let bucketsNeeded = 1;
  while (smallestUntrackableValue <= highestTrackableValue) {
    if (smallestUntrackableValue > Number.MAX_SAFE_INTEGER / 2) {
      bucketsNeeded += 1;
      break;
    }
    smallestUntrackableValue *= 2;
    bucketsNeeded++;
  }
  return (bucketsNeeded + 1) * (subBucketCount / 2);
}

/** As the library reads it: two unsigned 32-bit words. */
