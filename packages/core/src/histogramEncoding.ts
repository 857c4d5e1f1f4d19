import { inflateSync } from 'node:zlib';

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

export interface EncodedHistogram {
  /** The inflated encoding; the counts run from HEADER_BYTES to `end`. */
  inner: Buffer;
  end: number;
  payloadBytes: number;
  significantDigits: number;
  lowest: number;
  highest: number;
}

/**
 * Inflates and checks the header. Returns null for anything not recognised (wrong cookie, bad lengths, corrupt zlib),
 * and the caller falls back to hdr-histogram-js, which reports what is wrong.
 */
export function readEncodedHistogram(base64: string): EncodedHistogram | null {
  const outer = Buffer.from(base64, 'base64');
  if (outer.length < 8 || (outer.readInt32BE(0) & ~COOKIE_WORD_SIZE_MASK) !== COMPRESSED_COOKIE_BASE) return null;
  const compressedLength = outer.readInt32BE(4);
  if (compressedLength <= 0 || 8 + compressedLength > outer.length) return null;
  let inner: Buffer;
  try {
    // A window's counts inflate to about 1 KB: the default 16 KB output chunk would allocate 16 KB per window.
    inner = inflateSync(outer.subarray(8, 8 + compressedLength), { chunkSize: 2_048 });
  } catch {
    return null;
  }
  if (inner.length < HEADER_BYTES || (inner.readInt32BE(0) & ~COOKIE_WORD_SIZE_MASK) !== ENCODING_COOKIE_BASE) return null;
  const payloadBytes = inner.readInt32BE(4);
  const significantDigits = inner.readInt32BE(12);
  const lowest = readInt64(inner, 16);
  const highest = readInt64(inner, 24);
  if (HEADER_BYTES + payloadBytes > inner.length || significantDigits < 0 || significantDigits > 5) return null;
  if (!(lowest >= 1) || !(highest >= 2 * lowest)) return null;
  return { inner, end: HEADER_BYTES + payloadBytes, payloadBytes, significantDigits, lowest, highest };
}

function readInt64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32BE(offset) * 2 ** 32 + buffer.readUInt32BE(offset + 4);
}
