import { HEADER_BYTES, readEncodedHistogram } from './histogramEncoding.js';
import { decodeLatencyHistogram } from './histogram.js';
import { EMPTY_SPARSE_HISTOGRAM, equivalentValue, layoutOf, sparseFromDense, valueOfIndex, type SparseLatencyHistogram } from './sparseHistogram.js';

/**
 * Decodes a `VariantWindow.latencyHistogram` (compressed base64 V2 HdrHistogram) straight into its non-zero buckets,
 * without building the dense histogram: histogramEncoding.ts decodes the base64, inflates and reads the header, then
 * one pass over the ZigZag LEB128 counts (a negative value −n is a run of n empty buckets). It reads exactly what
 * histogramDecode.ts reads (same checks, same 32-bit counts, same total), and leaves what that decoder does not
 * recognise to `decodeLatencyHistogram`, which falls back to hdr-histogram-js or throws SLUICE_E_SAMPLE_INVALID. The
 * empty string is an empty histogram. sparseHistogramDecode.test.ts compares each path with the dense decoder.
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
  if (lowest !== cachedLowest || significantDigits !== cachedSignificantDigits || highest !== cachedHighest) {
    cachedLayout = layoutOf(lowest, significantDigits);
    cachedCountsArrayLength = countsArrayLengthOf(cachedLayout, highest);
    cachedLowest = lowest;
    cachedSignificantDigits = significantDigits;
    cachedHighest = highest;
  }
  const layout = cachedLayout;
  const countsArrayLength = cachedCountsArrayLength;
  // At most one non-zero bucket per payload byte, and the fast loop writes one entry past the last.
  if (scratchIndexes.length <= payloadBytes) {
    scratchIndexes = new Int32Array(payloadBytes + 1);
    scratchCounts = new Int32Array(payloadBytes + 1);
  }
  let length = readCountsFast(inner, end, countsArrayLength);
  if (length === NEEDS_EXACT_LOOP) length = readCountsExact(inner, end, countsArrayLength);
  if (length === OUT_OF_RANGE) return null;
  const maxIndex = length === 0 ? -1 : scratchIndexes[length - 1]!;
  // As the dense decoder sets it: the highest value of the last bucket read, plus the unit's mask.
  const maxValue = maxIndex < 0 ? 0 : equivalentValue(layout, valueOfIndex(layout, maxIndex), true) + Math.pow(2, layout.unitMagnitude) - 1;
  const scratchI = scratchIndexes;
  const scratchC = scratchCounts;
  const indexes = new Array<number>(length);
  const counts = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    indexes[i] = scratchI[i]!;
    counts[i] = scratchC[i]!;
  }
  return { layout, indexes, counts, totalCount: readTotal, maxValue, countsArrayLength };
}

/** What the two loops return besides a count of buckets: a count in a bucket past the last, or a varint the fast loop leaves. */
const OUT_OF_RANGE = -1;
const NEEDS_EXACT_LOOP = -2;
/** The fast loop keeps the bucket index below this, so that adding a run (below 2^27) stays a 32-bit integer. */
const FAST_INDEX_LIMIT = 2 ** 30;

/** The total of the counts the last loop read (as read, before the 32-bit wrap of the stored counts). */
let readTotal = 0;
/** The layout and counts length of the last header read: every window of a log has the same. */
let cachedLowest = -1;
let cachedSignificantDigits = -1;
let cachedHighest = -1;
let cachedLayout = layoutOf(1, 3);
let cachedCountsArrayLength = 0;

/**
 * The counts as ZigZag LEB128 varints of up to four bytes (values below 2^28: every count and run of a window), in
 * 32-bit integer arithmetic and without a branch on what each value is: a window's counts alternate unpredictably
 * between runs of empty buckets, zeros and counts, and a mispredicted branch per value cost more than the rest of the
 * loop. Every value writes the current bucket to the scratch arrays, and only a positive count moves past it. Returns
 * NEEDS_EXACT_LOOP on a longer varint (or a bucket index near 2^30), and readCountsExact then reads them all again.
 */
function readCountsFast(inner: Uint8Array, end: number, countsArrayLength: number): number {
  const scratchI = scratchIndexes;
  const scratchC = scratchCounts;
  let length = 0;
  let position = HEADER_BYTES;
  let index = 0;
  let total = 0;
  while (position < end) {
    let byte = inner[position++]!;
    let value = byte & 0x7f;
    if (byte > 0x7f) {
      byte = inner[position++]!;
      value |= (byte & 0x7f) << 7;
      if (byte > 0x7f) {
        byte = inner[position++]!;
        value |= (byte & 0x7f) << 14;
        if (byte > 0x7f) {
          byte = inner[position++]!;
          value |= (byte & 0x7f) << 21;
          if (byte > 0x7f) return NEEDS_EXACT_LOOP;
        }
      }
    }
    value = (value >>> 1) ^ -(value & 1);
    // −1 for a run of `-value` empty buckets, 0 for a count (zero or more) of the current bucket.
    const run = value >> 31;
    if (index >= countsArrayLength && run === 0) return OUT_OF_RANGE;
    scratchI[length] = index;
    scratchC[length] = value;
    length += -value >>> 31;
    total += value & ~run;
    index += (-value & run) | (~run & 1);
    if (index >= FAST_INDEX_LIMIT) return NEEDS_EXACT_LOOP;
  }
  readTotal = total;
  return length;
}

/** Every varint the library writes (up to 9 bytes, in Number arithmetic as the library reads them). */
function readCountsExact(inner: Uint8Array, end: number, countsArrayLength: number): number {
  const scratchI = scratchIndexes;
  const scratchC = scratchCounts;
  let length = 0;
  let position = HEADER_BYTES;
  let index = 0;
  let total = 0;
  while (position < end) {
    let byte = inner[position++]!;
    let value = byte & 0x7f;
    let multiplier = 128;
    for (let i = 1; i < 9 && (byte & 0x80) !== 0; i++) {
      byte = inner[position++]!;
      value += (byte & 0x7f) * multiplier;
      multiplier *= 128;
    }
    value = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    if (value < 0) {
      index -= value;
      continue;
    }
    if (index >= countsArrayLength) return OUT_OF_RANGE;
    if (value > 0) {
      // Stored as the library's Int32Array stores it (wrapping above 2^31 − 1); the total adds the value as read.
      scratchI[length] = index;
      scratchC[length++] = value;
      total += value;
    }
    index++;
  }
  readTotal = total;
  return length;
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
