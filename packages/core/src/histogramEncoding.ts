import { inflateSync } from 'node:zlib';
import { inflatedBytes, inflateZlib } from './zlibInflate.js';

/**
 * The header of the compressed base64 V2 HdrHistogram encoding, read once for both fast decoders
 * (histogramDecode.ts builds the dense histogram, sparseHistogramDecode.ts its non-zero buckets).
 *
 * Layout (big-endian): outer cookie, compressed length, zlib data; inside: cookie, payload length, normalizing index
 * offset, significant digits, lowest discernible value (int64), highest trackable value (int64), conversion ratio
 * (8 bytes), then the counts as ZigZag LEB128 varints where a negative value −n is a run of n zero counts.
 */
const COMPRESSED_COOKIE_BASE = 478450436;
const ENCODING_COOKIE_BASE = 478450435;
const COOKIE_WORD_SIZE_MASK = 0xf0;
export const HEADER_BYTES = 40;
/** Bytes the inflater may read past the compressed data (zlibInflate.ts). */
const INFLATE_READ_AHEAD_BYTES = 16;
/**
 * Streams up to this size are inflated by zlibInflate.ts, larger ones by native zlib. Native zlib costs ~3–6 µs a call
 * before it decodes anything (a new stream object, zlib handle and state per call), then decodes faster: measured on
 * histograms of 10 to 1,000 samples (2026-11-24, Node 20), the JavaScript inflater takes ~0.5 µs for the fixed-code
 * block of a window of a few samples, ~5–6 µs from ~150 bytes on (building the tables of a dynamic block), and is
 * slower than native zlib from ~250 bytes on (~15 µs against ~10–12 µs at 700 bytes, a window of ~1,000 samples).
 */
const SMALL_STREAM_BYTES = 224;

let outerScratch = Buffer.alloc(4_096);

export interface EncodedHistogram {
  /** The inflated encoding; the counts run from HEADER_BYTES to `end`. Valid until the next call (it may be reused). */
  inner: Uint8Array;
  end: number;
  payloadBytes: number;
  significantDigits: number;
  lowest: number;
  highest: number;
}

/**
 * Inflates and checks the header. Returns null for anything not recognised (wrong cookie, bad lengths, corrupt zlib),
 * and the caller falls back to hdr-histogram-js, which reports what is wrong. The base64 is decoded into a buffer
 * reused by every call, and `inner` may be the inflater's reused buffer: both are valid until the next call.
 */
export function readEncodedHistogram(base64: string): EncodedHistogram | null {
  // Decoded into one buffer reused by every call, with room after the data for the inflater's read-ahead.
  const needed = ((base64.length * 3) >>> 2) + INFLATE_READ_AHEAD_BYTES;
  if (outerScratch.length < needed) outerScratch = Buffer.alloc(Math.max(needed, 2 * outerScratch.length));
  const outer = outerScratch;
  const outerLength = outer.write(base64, 'base64');
  if (outerLength < 8 || (readInt32(outer, 0) & ~COOKIE_WORD_SIZE_MASK) !== COMPRESSED_COOKIE_BASE) return null;
  const compressedLength = readInt32(outer, 4);
  if (compressedLength <= 0 || 8 + compressedLength > outerLength) return null;
  let inner: Uint8Array;
  let innerLength = compressedLength <= SMALL_STREAM_BYTES ? inflateZlib(outer, 8, 8 + compressedLength) : -1;
  if (innerLength >= 0) {
    inner = inflatedBytes();
  } else {
    // What the inflater refuses (or is not given), zlib decodes or reports as before.
    try {
      // A window's counts inflate to about 1 KB: the default 16 KB output chunk would allocate 16 KB per window.
      inner = inflateSync(outer.subarray(8, 8 + compressedLength), { chunkSize: 2_048 });
    } catch {
      return null;
    }
    innerLength = inner.length;
  }
  if (innerLength < HEADER_BYTES || (readInt32(inner, 0) & ~COOKIE_WORD_SIZE_MASK) !== ENCODING_COOKIE_BASE) return null;
  const payloadBytes = readInt32(inner, 4);
  const significantDigits = readInt32(inner, 12);
  const lowest = readInt64(inner, 16);
  const highest = readInt64(inner, 24);
  if (HEADER_BYTES + payloadBytes > innerLength || significantDigits < 0 || significantDigits > 5) return null;
  if (!(lowest >= 1) || !(highest >= 2 * lowest)) return null;
  return { inner, end: HEADER_BYTES + payloadBytes, payloadBytes, significantDigits, lowest, highest };
}

/** Big-endian signed 32-bit word (Buffer's readInt32BE, for any byte array). */
function readInt32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
}

/** As the library reads it: two unsigned 32-bit words. */
function readInt64(bytes: Uint8Array, offset: number): number {
  return (readInt32(bytes, offset) >>> 0) * 2 ** 32 + (readInt32(bytes, offset + 4) >>> 0);
}
