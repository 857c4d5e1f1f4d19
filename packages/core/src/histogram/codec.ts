import { inflateSync } from 'node:zlib';
import { SluiceError } from '../errors.js';
import { countsArrayLengthOf, equivalentValue, isStandardLayout, layoutOf, LATENCY_SIGNIFICANT_DIGITS, LATENCY_US_MAX, valueOfIndex, type HistogramLayout } from './layout.js';
import { EMPTY_SPARSE_HISTOGRAM, type SparseLatencyHistogram } from './sparse.js';

/**
 * The one codec of window histograms (`VariantWindow.latencyHistogram`): HdrHistogram's V2 encoding, base64.
 *
 * V2 is HdrHistogram's own compact form: a 40-byte header (big-endian: cookie, payload length, normalizing index
 * offset, significant digits, lowest discernible value and highest trackable value as int64, conversion ratio as a
 * double), then the counts from bucket 0 to the maximum's, each a ZigZag LEB128 varint where a negative value −n is a
 * run of n empty buckets. Two forms carry it:
 * - plain (cookie 0x1c849313): the encoding itself. Sluice writes this (`samples.window` version 2 and later):
 *   decoding it is one pass over the bytes, with no inflater to set up.
 * - compressed (cookie 0x1c849314): the length of a zlib stream, then the stream, which inflates to the plain form.
 *   `samples.window` version 1 was written so, and producers of pre-aggregated windows send it (every HdrHistogram
 *   library's `encodeIntoCompressedBase64`). It is inflated by Node's native zlib.
 * Both are recognised by their first bytes. Other HdrHistogram implementations decode the plain form too
 * (`decodeFromByteBuffer`), since Sluice writes the header fields as the reference (Java) implementation does.
 *
 * Decoding yields the non-zero buckets (sparse.ts) in the encoding's own layout; codec.test.ts checks it against
 * hdr-histogram-js for every input that library accepts. Anything else is SLUICE_E_SAMPLE_INVALID with the reason:
 * the field comes from producers and from the log.
 */

const PLAIN_COOKIE_BASE = 0x1c849303;
const COMPRESSED_COOKIE_BASE = 0x1c849304;
/** The word-size nibble of V2 cookies (LEB128, up to 9 bytes a word). */
const WORD_SIZE_NIBBLE = 0x10;
const COOKIE_WORD_SIZE_MASK = 0xf0;
const HEADER_BYTES = 40;
/** A varint is at most 9 bytes: a value cut by the end of the data reads zeros past it, as the library's reader does. */
const VARINT_BYTES_MAX = 9;
/**
 * The largest plain encoding inflated from a compressed one. A histogram of our layout encodes in at most ~210 KB
 * (23,552 buckets of up to 9 bytes); other layouts a producer may use (up to 5 significant digits over 2^63) stay
 * within a few MB. A zlib stream is otherwise free to inflate a thousandfold: this bounds what one window may cost.
 */
export const INFLATED_BYTES_MAX = 4 * 1024 * 1024;

/** Bytes decoded from base64, reused by every call (decoding is synchronous and never re-entered). */
let outerScratch = Buffer.alloc(8_192);
/** An inflated encoding, copied here with zeros after it. */
let innerScratch = Buffer.alloc(8_192);
/**
 * Non-zero buckets read by the counts loop, reused by every call; the result is sliced out at its exact size. Plain
 * arrays of small integers, not typed arrays: a slice of one is a plain array (what the sparse form holds) made by one
 * copy, and it is made without an allocation site, so V8 never pretenures the slices — most die with their window.
 */
let scratchIndexes: number[] = new Array<number>(4_096).fill(0);
let scratchCounts: number[] = new Array<number>(4_096).fill(0);
/** The layout and counts length of the last header read: every window of a log has the same. */
let cachedLowest = -1;
let cachedSignificantDigits = -1;
let cachedHighest = -1;
let cachedLayout: HistogramLayout = layoutOf(1, LATENCY_SIGNIFICANT_DIGITS);
let cachedCountsArrayLength = 0;

function invalid(reason: string, cause?: unknown): SluiceError {
  return new SluiceError(
    'SLUICE_E_SAMPLE_INVALID',
    `latencyHistogram is not a base64 HdrHistogram V2 encoding (${reason}); encode it with encodeIntoCompressedBase64 of an HdrHistogram library, in microseconds`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Decodes a `latencyHistogram` (plain or compressed V2, base64) to its non-zero buckets. The empty string is an empty
 * histogram. Returns a new object on every call; the arrays are the caller's.
 * @throws SluiceError SLUICE_E_SAMPLE_INVALID naming what is wrong.
 */
export function decodeHistogram(base64: string): SparseLatencyHistogram {
  if (base64 === '') return EMPTY_SPARSE_HISTOGRAM;
  // Room after the data for a varint cut by its end: those bytes read as zeros.
  const needed = ((base64.length * 3) >>> 2) + 3 + VARINT_BYTES_MAX;
  if (outerScratch.length < needed) outerScratch = Buffer.alloc(Math.max(needed, 2 * outerScratch.length));
  const outer = outerScratch;
  const outerLength = outer.write(base64, 'base64');
  outer.fill(0, outerLength, outerLength + VARINT_BYTES_MAX);
  if (outerLength < 8) throw invalid(`${outerLength} bytes`);
  const cookie = readInt32(outer, 0);
  let inner: Buffer;
  let innerLength: number;
  if ((cookie & ~COOKIE_WORD_SIZE_MASK) === PLAIN_COOKIE_BASE) {
    inner = outer;
    innerLength = outerLength;
  } else if ((cookie & ~COOKIE_WORD_SIZE_MASK) === COMPRESSED_COOKIE_BASE) {
    const compressedLength = readInt32(outer, 4);
    if (compressedLength <= 0 || 8 + compressedLength > outerLength) throw invalid(`compressed length ${compressedLength} of ${outerLength - 8} bytes`);
    let inflated: Buffer;
    try {
      // A window's counts inflate to a few KB: the default 16 KB output chunk would allocate 16 KB per window.
      inflated = inflateSync(outer.subarray(8, 8 + compressedLength), { chunkSize: 4_096, maxOutputLength: INFLATED_BYTES_MAX });
    } catch (error) {
      throw invalid(`its zlib stream does not inflate: ${(error as Error).message}`, error);
    }
    // Into a buffer with zeros after the data, as the plain form has: the counts loop reads one kind of buffer.
    innerLength = inflated.length;
    if (innerScratch.length < innerLength + VARINT_BYTES_MAX) innerScratch = Buffer.alloc(Math.max(innerLength + VARINT_BYTES_MAX, 2 * innerScratch.length));
    inflated.copy(innerScratch);
    innerScratch.fill(0, innerLength, innerLength + VARINT_BYTES_MAX);
    inner = innerScratch;
  } else {
    throw invalid(`unknown cookie 0x${(cookie >>> 0).toString(16)}`);
  }
  return readPlain(inner, innerLength);
}

/** Reads the plain encoding in `inner[0, innerLength)`: header, then the counts. */
function readPlain(inner: Uint8Array, innerLength: number): SparseLatencyHistogram {
  if (innerLength < HEADER_BYTES) throw invalid(`${innerLength} bytes, less than the ${HEADER_BYTES}-byte header`);
  const cookie = readInt32(inner, 0);
  if ((cookie & ~COOKIE_WORD_SIZE_MASK) !== PLAIN_COOKIE_BASE || (cookie & COOKIE_WORD_SIZE_MASK) !== WORD_SIZE_NIBBLE) {
    throw invalid(`unknown cookie 0x${(cookie >>> 0).toString(16)} in the encoding`);
  }
  const payloadBytes = readInt32(inner, 4);
  const significantDigits = readInt32(inner, 12);
  const lowest = readInt64(inner, 16);
  const highest = readInt64(inner, 24);
  if (payloadBytes < 0 || HEADER_BYTES + payloadBytes > innerLength) throw invalid(`payload of ${payloadBytes} bytes in ${innerLength - HEADER_BYTES}`);
  if (significantDigits < 0 || significantDigits > 5) throw invalid(`${significantDigits} significant digits (0 to 5)`);
  if (!(lowest >= 1) || !(highest >= 2 * lowest)) throw invalid(`lowest ${lowest} and highest ${highest} trackable values`);
  if (lowest !== cachedLowest || significantDigits !== cachedSignificantDigits || highest !== cachedHighest) {
    cachedLayout = layoutOf(lowest, significantDigits);
    cachedCountsArrayLength = countsArrayLengthOf(cachedLayout, highest);
    cachedLowest = lowest;
    cachedSignificantDigits = significantDigits;
    cachedHighest = highest;
  }
  const layout = cachedLayout;
  const countsArrayLength = cachedCountsArrayLength;
  // At most one non-zero bucket per payload byte, and the loop writes one entry past the last it keeps.
  if (scratchIndexes.length <= payloadBytes) {
    scratchIndexes = new Array<number>(payloadBytes + 1).fill(0);
    scratchCounts = new Array<number>(payloadBytes + 1).fill(0);
  }
  const length = readCounts(inner, HEADER_BYTES + payloadBytes, countsArrayLength);
  if (length < 0) throw invalid(`a count past the last bucket (${countsArrayLength} buckets up to ${highest})`);
  const maxIndex = length === 0 ? -1 : scratchIndexes[length - 1]!;
  // As the library sets it on decoding: the highest value of the last non-zero bucket, plus the unit's mask.
  const maxValue = maxIndex < 0 ? 0 : equivalentValue(layout, valueOfIndex(layout, maxIndex), true) + Math.pow(2, layout.unitMagnitude) - 1;
  const indexes = scratchIndexes.slice(0, length);
  const counts = scratchCounts.slice(0, length);
  return { layout, indexes, counts, totalCount: readTotal, maxValue, countsArrayLength };
}

/** The total of the counts the last readCounts read (as read, before the 32-bit wrap of the stored counts). */
let readTotal = 0;

/**
 * The one reader of the counts: ZigZag LEB128 varints of up to 9 bytes, from HEADER_BYTES to `end`. Non-zero counts go
 * to the scratch arrays with their bucket index (as the library's Int32Array stores them, wrapping above 2^31 − 1); the
 * total adds them as read. Returns how many there are, or −1 for a count (even a zero) in a bucket past the last.
 *
 * Varints of up to four bytes (every count and run below 2^28: all of a window's) are read in 32-bit integer arithmetic,
 * and handled without a branch on what the value is: a window's counts alternate unpredictably between runs of empty
 * buckets, zeros and counts, and a mispredicted branch per value cost more than the rest of the loop. Every such value
 * writes the current bucket to the scratch arrays, and only a positive count moves past it. A longer varint (up to 9
 * bytes) is read in Number arithmetic, 7 bits a byte, as the library reads it. `inner` holds at least
 * VARINT_BYTES_MAX zero bytes after `end` or the data that follows it, so a varint cut by the end reads zeros.
 */
function readCounts(inner: Uint8Array, end: number, countsArrayLength: number): number {
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
          if (byte > 0x7f) {
            // Five to nine bytes: a value of 2^28 or more, in Number arithmetic.
            let wide = value;
            let multiplier = 2 ** 28;
            for (let i = 4; i < VARINT_BYTES_MAX && byte > 0x7f; i++) {
              byte = inner[position++]!;
              wide += (byte & 0x7f) * multiplier;
              multiplier *= 128;
            }
            const decoded = wide % 2 === 0 ? wide / 2 : -(wide + 1) / 2;
            if (decoded < 0) {
              index -= decoded;
              continue;
            }
            if (index >= countsArrayLength) return -1;
            if (decoded > 0) {
              // As the library's Int32Array stores a count (wrapping above 2^31 − 1); the total adds it as read.
              scratchI[length] = index;
              scratchC[length++] = decoded | 0;
              total += decoded;
            }
            index++;
            continue;
          }
        }
      }
    }
    value = (value >>> 1) ^ -(value & 1);
    // −1 for a run of `-value` empty buckets, 0 for a count (zero or more) of the current bucket.
    const run = value >> 31;
    if (run === 0 && index >= countsArrayLength) return -1;
    // `| 0`: an index past 2^31 (after a huge run) is never kept, and must not turn the scratch array into doubles.
    scratchI[length] = index | 0;
    scratchC[length] = value;
    length += -value >>> 31;
    total += value & ~run;
    index += (-value & run) | (~run & 1);
  }
  readTotal = total;
  return length;
}

/** Output of the encoder, reused by every call; a histogram of our layout needs at most ~210 KB. */
let encodeScratch = Buffer.alloc(16_384);

/**
 * The plain V2 encoding of a histogram of our layout (STANDARD_LAYOUT), base64; the empty string when it holds nothing.
 * Header fields as the reference implementation writes them: normalizing index offset 0, conversion ratio 1.0, highest
 * trackable value LATENCY_US_MAX (every value we record is below it). The counts are exactly what hdr-histogram-js
 * writes inside its compressed form for the same counts (codec.test.ts).
 */
export function encodeHistogram(histogram: SparseLatencyHistogram): string {
  if (!isStandardLayout(histogram.layout)) throw new Error('assertion: only histograms of the standard layout are encoded');
  const { indexes, counts } = histogram;
  let nonZero = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) nonZero++;
  if (nonZero === 0) return '';
  // Per non-zero bucket: its count and the run before it, each at most 9 bytes.
  const needed = HEADER_BYTES + 2 * VARINT_BYTES_MAX * nonZero;
  if (encodeScratch.length < needed) encodeScratch = Buffer.alloc(Math.max(needed, 2 * encodeScratch.length));
  const out = encodeScratch;
  let position = HEADER_BYTES;
  let next = 0;
  for (let i = 0; i < indexes.length; i++) {
    const count = counts[i]!;
    if (!(count > 0)) continue;
    const index = indexes[i]!;
    const run = index - next;
    // A single empty bucket is written as a zero count, a longer run as −run (as the library writes them).
    if (run === 1) out[position++] = 0;
    else if (run > 1) position = writeZigZag(out, position, -run);
    position = writeZigZag(out, position, count);
    next = index + 1;
  }
  out.writeInt32BE(PLAIN_COOKIE_BASE | WORD_SIZE_NIBBLE, 0);
  out.writeInt32BE(position - HEADER_BYTES, 4);
  out.writeInt32BE(0, 8);
  out.writeInt32BE(LATENCY_SIGNIFICANT_DIGITS, 12);
  writeInt64(out, 16, 1);
  writeInt64(out, 24, LATENCY_US_MAX);
  out.writeDoubleBE(1, 32);
  return out.toString('base64', 0, position);
}

function writeZigZag(out: Buffer, position: number, value: number): number {
  let zigZag = value >= 0 ? value * 2 : -value * 2 - 1;
  while (zigZag >= 128) {
    out[position++] = (zigZag % 128) | 0x80;
    zigZag = Math.floor(zigZag / 128);
  }
  out[position++] = zigZag;
  return position;
}

/** Big-endian signed 32-bit word. */
function readInt32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
}

/** As the library reads it: two unsigned 32-bit words. */
function readInt64(bytes: Uint8Array, offset: number): number {
  return (readInt32(bytes, offset) >>> 0) * 2 ** 32 + (readInt32(bytes, offset + 4) >>> 0);
}

function writeInt64(out: Buffer, offset: number, value: number): void {
  out.writeUInt32BE(Math.floor(value / 2 ** 32), offset);
  out.writeUInt32BE(value % 2 ** 32, offset + 4);
}
