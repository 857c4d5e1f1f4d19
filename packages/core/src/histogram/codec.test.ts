import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { encodeIntoCompressedBase64, JsHistogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, INFLATED_BYTES_MAX } from './codec.js';
import { LATENCY_US_MAX, STANDARD_LAYOUT } from './layout.js';
import { compressedArbitrary, recordedArbitrary, referenceCounts, referenceDecode, referenceHistogram, sparseCounts } from './reference.fixture.js';
import type { SparseLatencyHistogram } from './sparse.js';

/**
 * The codec: compressed V2 (samples.window v1, producers) must decode exactly as hdr-histogram-js decodes it, plain V2
 * (what Sluice writes now) must round-trip and be what the library's own V2 writer puts inside its compression, and
 * everything else is SLUICE_E_SAMPLE_INVALID, never another error.
 */

/** ZigZag LEB128 as the library writes it, for any safe integer. */
function varint(value: number): number[] {
  let zigZag = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  do {
    const low = zigZag % 128;
    zigZag = Math.floor(zigZag / 128);
    bytes.push(zigZag > 0 ? low | 0x80 : low);
  } while (zigZag > 0);
  return bytes;
}

/** A V2 encoding written by hand: 1 µs, 3 digits, highest 3,600 s unless told, these payload bytes; compressed or plain. */
function crafted(payload: number[], options: { highest?: number; extraBytes?: number[]; plain?: boolean } = {}): string {
  const inner = Buffer.alloc(40);
  inner.writeInt32BE(0x1c849313, 0);
  inner.writeInt32BE(payload.length, 4);
  inner.writeInt32BE(3, 12);
  inner.writeUInt32BE(1, 20);
  const highest = options.highest ?? 3_600_000_000;
  inner.writeUInt32BE(Math.floor(highest / 2 ** 32), 24);
  inner.writeUInt32BE(highest % 2 ** 32, 28);
  inner.writeDoubleBE(1, 32);
  const plain = Buffer.concat([inner, Buffer.from(payload), Buffer.from(options.extraBytes ?? [])]);
  if (options.plain) return plain.toString('base64');
  const compressed = deflateSync(plain);
  const outer = Buffer.alloc(8);
  outer.writeInt32BE(0x1c849314, 0);
  outer.writeInt32BE(compressed.length, 4);
  return Buffer.concat([outer, compressed]).toString('base64');
}

function libraryCompressed(samples: number, seed: number): string {
  const histogram = referenceHistogram();
  let state = seed;
  for (let i = 0; i < samples; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    histogram.recordValue(20_000 + (state % 200_000));
  }
  return encodeIntoCompressedBase64(histogram);
}

/** Our histogram of recorded values, as LatencyHistogram's read view would give it. */
function standardOf(values: ReadonlyArray<readonly [number, number]>): SparseLatencyHistogram {
  const reference = referenceHistogram();
  for (const [valueUs, count] of values) reference.recordValueWithCount(valueUs, count);
  return decodeHistogram(encodeIntoCompressedBase64(reference));
}

/** What the decoder made of an input: its buckets and totals, or the error code. */
function outcome(encoded: string): { counts: Map<number, number>; totalCount: number; maxValue: number } | { code: string } {
  try {
    const decoded = decodeHistogram(encoded);
    return { counts: sparseCounts(decoded), totalCount: decoded.totalCount, maxValue: decoded.maxValue };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

describe('decoding the compressed form (samples.window v1, producers)', () => {
  it('gives the library\'s buckets, total and maximum, whatever the layout (property)', () => {
    fc.assert(
      fc.property(compressedArbitrary, (encoded) => {
        const reference = referenceDecode(encoded);
        const decoded = decodeHistogram(encoded);
        expect(sparseCounts(decoded)).toEqual(referenceCounts(reference));
        expect(decoded.totalCount).toBe(reference.totalCount);
        expect(decoded.maxValue).toBe(reference.maxValue);
        expect(decoded.layout).toEqual({ unitMagnitude: reference.unitMagnitude, subBucketHalfCountMagnitude: reference.subBucketHalfCountMagnitude });
        expect(decoded.countsArrayLength).toBe(reference.countsArrayLength);
      }),
      { numRuns: 100 },
    );
  });

  it('decodes small and large windows', () => {
    for (const samples of [1, 10, 60, 200, 1_000, 5_000]) {
      const encoded = libraryCompressed(samples, samples);
      expect(sparseCounts(decodeHistogram(encoded))).toEqual(referenceCounts(referenceDecode(encoded)));
    }
  });

  it('reads counts of five bytes and more (2^28 and above, wrapping past 2^31 − 1 as the library\'s 32-bit counts do)', () => {
    const payload = [...varint(-1_000), ...varint(2 ** 28), ...varint(-999), ...varint(2 ** 33 + 5), ...varint(-999), ...varint(3)];
    const decoded = decodeHistogram(crafted(payload));
    expect(decoded.indexes).toEqual([1_000, 2_000, 3_000]);
    expect(decoded.counts).toEqual([2 ** 28, (2 ** 33 + 5) | 0, 3]);
    // The total adds the counts as read, as Sluice's decoders always did.
    expect(decoded.totalCount).toBe(2 ** 28 + 2 ** 33 + 5 + 3);
  });

  it('reads a run of empty buckets past 2^30', () => {
    expect(decodeHistogram(crafted([...varint(2), ...varint(-(2 ** 31))])).counts).toEqual([2]);
  });

  it('reads a last varint cut by the end of the encoding with zeros for the missing bytes, or the bytes after it', () => {
    expect(decodeHistogram(crafted([...varint(2), ...varint(6), 0x84])).counts).toEqual([2, 6, 2]);
    expect(decodeHistogram(crafted([...varint(2), 0x84], { extraBytes: [0x01, 0x02] })).counts).toEqual([2, 66]);
    expect(decodeHistogram(crafted([...varint(2), 0x84], { extraBytes: [0x01, 0x02], plain: true })).counts).toEqual([2, 66]);
  });

  it('refuses a count past the last bucket, a corrupt or cut zlib stream, a wrong cookie, bad header fields and non-base64', () => {
    const invalid = { code: 'SLUICE_E_SAMPLE_INVALID' };
    expect(outcome(crafted([...varint(-30_000), ...varint(1)], { highest: 2_000 }))).toEqual(invalid);
    const bytes = Buffer.from(libraryCompressed(10, 1), 'base64');
    const corrupt = Buffer.from(bytes);
    corrupt[20]! ^= 0xff;
    expect(outcome(corrupt.toString('base64'))).toEqual(invalid);
    expect(outcome(bytes.subarray(0, bytes.length - 3).toString('base64'))).toEqual(invalid);
    const cookie = Buffer.from(bytes);
    cookie[0] = 0x2c;
    expect(outcome(cookie.toString('base64'))).toEqual(invalid);
    for (const [offset, value] of [[12, 6], [20, 0], [28, 1], [4, 1_000]] as const) {
      const header = Buffer.from(crafted([...varint(1)], { plain: true }), 'base64');
      header.writeInt32BE(value, offset);
      expect(outcome(header.toString('base64'))).toEqual(invalid);
    }
    expect(outcome('not-a-histogram')).toEqual(invalid);
    expect(outcome('AAAA')).toEqual(invalid);
  });

  it('bounds what a compressed window may inflate to', () => {
    const huge = Buffer.concat([Buffer.from(Buffer.from(crafted([], { plain: true }), 'base64').subarray(0, 40)), Buffer.alloc(INFLATED_BYTES_MAX)]);
    huge.writeInt32BE(INFLATED_BYTES_MAX, 4);
    const compressed = deflateSync(huge);
    const outer = Buffer.alloc(8);
    outer.writeInt32BE(0x1c849314, 0);
    outer.writeInt32BE(compressed.length, 4);
    expect(compressed.length).toBeLessThan(10_000);
    expect(outcome(Buffer.concat([outer, compressed]).toString('base64'))).toEqual({ code: 'SLUICE_E_SAMPLE_INVALID' });
  });

  it('either decodes a damaged encoding to what the library decodes, or refuses it with SLUICE_E_SAMPLE_INVALID (property)', () => {
    const encodings = [libraryCompressed(3, 1), libraryCompressed(40, 2), libraryCompressed(150, 3), libraryCompressed(1_000, 4)].map((e) => Buffer.from(e, 'base64'));
    fc.assert(
      fc.property(
        fc.nat(encodings.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, changes, cut) => {
          const bytes = Buffer.from(encodings[which]!);
          for (const [at, mask] of changes) bytes[8 + (at % (bytes.length - 8))]! ^= mask;
          const encoded = bytes.subarray(0, cut === undefined ? bytes.length : cut % bytes.length).toString('base64');
          const result = outcome(encoded);
          // A cut at 0 leaves the empty string: by definition the empty histogram, which the library does not know.
          if (encoded === '') expect(result).toEqual({ counts: new Map(), totalCount: 0, maxValue: 0 });
          else if ('code' in result) expect(result.code).toBe('SLUICE_E_SAMPLE_INVALID');
          else expect(result.counts).toEqual(referenceCounts(referenceDecode(encoded)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the plain form Sluice writes (samples.window v2)', () => {
  it('round-trips: the same buckets, total and bucket of the maximum (property)', () => {
    fc.assert(
      fc.property(recordedArbitrary, (values) => {
        const histogram = standardOf(values);
        const decoded = decodeHistogram(encodeHistogram(histogram));
        expect(sparseCounts(decoded)).toEqual(sparseCounts(histogram));
        expect(decoded.totalCount).toBe(histogram.totalCount);
        expect(decoded.maxValue).toBe(histogram.maxValue);
        expect(decoded.layout).toEqual(STANDARD_LAYOUT);
      }),
      { numRuns: 100 },
    );
  });

  it('holds the counts exactly as the library writes them inside its compressed form (property)', () => {
    fc.assert(
      fc.property(recordedArbitrary, (values) => {
        const reference = referenceHistogram();
        for (const [valueUs, count] of values) reference.recordValueWithCount(valueUs, count);
        const compressed = Buffer.from(encodeIntoCompressedBase64(reference), 'base64');
        const libraryPlain = inflateSync(compressed.subarray(8));
        const ours = Buffer.from(encodeHistogram(decodeHistogram(compressed.toString('base64'))), 'base64');
        expect(ours.subarray(40)).toEqual(libraryPlain.subarray(40));
        expect(ours.readInt32BE(0)).toBe(libraryPlain.readInt32BE(0));
        expect(ours.readInt32BE(4)).toBe(libraryPlain.readInt32BE(4));
      }),
      { numRuns: 100 },
    );
  });

  it('is read by the library\'s own V2 decoder (other HdrHistogram tools can read our windows)', () => {
    const histogram = standardOf([[12_345, 3], [250_000, 1], [LATENCY_US_MAX, 2]]);
    const bytes = Buffer.from(encodeHistogram(histogram), 'base64');
    const decoded = JsHistogram.decode(new Uint8Array(bytes), 32);
    expect(referenceCounts(decoded)).toEqual(sparseCounts(histogram));
    expect(decoded.totalCount).toBe(6);
  });

  it('encodes an empty histogram as the empty string, which decodes to an empty histogram', () => {
    expect(encodeHistogram(decodeHistogram(''))).toBe('');
    expect(decodeHistogram('').totalCount).toBe(0);
  });

  it('is the plain form: no zlib stream to inflate', () => {
    const plain = encodeHistogram(standardOf([[40_000, 1], [41_000, 2]]));
    expect(Buffer.from(plain, 'base64').readInt32BE(0)).toBe(0x1c849313);
    expect(Buffer.from(plain, 'base64').length).toBe(40 + 2 + 1 + 1 + 1);
  });
});
