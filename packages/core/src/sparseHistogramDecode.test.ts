import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decodeLatencyHistogram } from './histogram.js';
import { sparseFromDense, type SparseLatencyHistogram } from './sparseHistogram.js';
import { decodeSparseHistogram } from './sparseHistogramDecode.js';

/**
 * The decoder's own paths (the JavaScript inflater for small streams and native zlib for large ones, the fast loop
 * over counts of up to four bytes and the exact loop for longer varints and huge runs) must give what the dense path
 * (histogramDecode.ts, then hdr-histogram-js) gives, for valid, crafted and damaged encodings alike.
 */
type Outcome = { histogram: SparseLatencyHistogram } | { code: string };

function outcome(decode: () => SparseLatencyHistogram): Outcome {
  try {
    const { layout, indexes, counts, totalCount, maxValue, countsArrayLength } = decode();
    return { histogram: { layout: { ...layout }, indexes: [...indexes], counts: [...counts], totalCount, maxValue, countsArrayLength } };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

function expectSameAsDense(encoded: string): Outcome {
  const sparse = outcome(() => decodeSparseHistogram(encoded));
  expect(sparse).toEqual(outcome(() => sparseFromDense(decodeLatencyHistogram(encoded))));
  return sparse;
}

function library(encoded: string): SparseLatencyHistogram {
  return sparseFromDense(decodeFromCompressedBase64(encoded, 32, false));
}

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

/** A compressed V2 encoding written by hand: 1 µs, 3 digits, highest 3,600 s unless told, and these payload bytes. */
function crafted(payload: number[], options: { highest?: number; extraBytes?: number[] } = {}): string {
  const inner = Buffer.alloc(40);
  inner.writeInt32BE(0x1c849313, 0);
  inner.writeInt32BE(payload.length, 4);
  inner.writeInt32BE(3, 12);
  inner.writeUInt32BE(1, 20);
  const highest = options.highest ?? 3_600_000_000;
  inner.writeUInt32BE(Math.floor(highest / 2 ** 32), 24);
  inner.writeUInt32BE(highest % 2 ** 32, 28);
  inner.writeDoubleBE(1, 32);
  const compressed = deflateSync(Buffer.concat([inner, Buffer.from(payload), Buffer.from(options.extraBytes ?? [])]));
  const outer = Buffer.alloc(8);
  outer.writeInt32BE(0x1c849314, 0);
  outer.writeInt32BE(compressed.length, 4);
  return Buffer.concat([outer, compressed]).toString('base64');
}

function histogramOf(samples: number, seed: number): string {
  const histogram = build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  let state = seed;
  for (let i = 0; i < samples; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    histogram.recordValue(20_000 + (state % 200_000));
  }
  return encodeIntoCompressedBase64(histogram);
}

describe('decodeSparseHistogram, path by path', () => {
  it('decodes small and large streams (JavaScript inflater, native zlib) as the library does', () => {
    for (const samples of [1, 10, 60, 200, 1_000, 5_000]) {
      const encoded = histogramOf(samples, samples);
      expect(expectSameAsDense(encoded)).toEqual({ histogram: library(encoded) });
    }
  });

  it('reads counts of five bytes and more (2^28 and above, wrapping past 2^31 − 1) as the dense decoder does', () => {
    const histogram = build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
    histogram.recordValueWithCount(1_000, 2 ** 28);
    histogram.recordValueWithCount(2_000, 2 ** 33 + 5);
    histogram.recordValueWithCount(3_000, 3);
    const encoded = encodeIntoCompressedBase64(histogram);
    const result = expectSameAsDense(encoded);
    expect('histogram' in result && result.histogram.counts).toEqual(library(encoded).counts);
    // The library's total wraps with its 32-bit counts; the fast decoders have always added the counts as read.
    expect('histogram' in result && result.histogram.totalCount).toBe(2 ** 28 + 2 ** 33 + 5 + 3);
  });

  it('reads a run of empty buckets past 2^30 as the dense decoder does', () => {
    const trailing = expectSameAsDense(crafted([...varint(2), ...varint(-(2 ** 31))]));
    expect('histogram' in trailing && trailing.histogram.counts).toEqual([2]);
  });

  it('reads a last varint cut by the end of the encoding as the dense decoder does (missing bytes as zeros)', () => {
    expectSameAsDense(crafted([...varint(2), ...varint(6), 0x84]));
    expectSameAsDense(crafted([...varint(2), 0x84], { extraBytes: [0x01, 0x02] }));
  });

  it('leaves a count past the last bucket to the library, as the dense decoder does', () => {
    expectSameAsDense(crafted([...varint(-30_000), ...varint(1)], { highest: 2_000 }));
  });

  it('refuses a corrupt deflate stream, a cut encoding and a wrong cookie', () => {
    const bytes = Buffer.from(histogramOf(10, 1), 'base64');
    const corrupt = Buffer.from(bytes);
    corrupt[20]! ^= 0xff;
    expect(expectSameAsDense(corrupt.toString('base64'))).toEqual({ code: 'SLUICE_E_SAMPLE_INVALID' });
    expect(expectSameAsDense(bytes.subarray(0, bytes.length - 3).toString('base64'))).toEqual({ code: 'SLUICE_E_SAMPLE_INVALID' });
    const cookie = Buffer.from(bytes);
    cookie[0] = 0x2c;
    expect(expectSameAsDense(cookie.toString('base64'))).toEqual({ code: 'SLUICE_E_SAMPLE_INVALID' });
  });

  it('gives what the dense path gives for damaged encodings, small and large (property)', () => {
    const encodings = [histogramOf(3, 1), histogramOf(40, 2), histogramOf(150, 3), histogramOf(1_000, 4)].map((encoded) => Buffer.from(encoded, 'base64'));
    fc.assert(
      fc.property(
        fc.nat(encodings.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, changes, cut) => {
          const bytes = Buffer.from(encodings[which]!);
          for (const [at, mask] of changes) bytes[8 + (at % (bytes.length - 8))]! ^= mask;
          expectSameAsDense(bytes.subarray(0, cut === undefined ? bytes.length : cut % bytes.length).toString('base64'));
        },
      ),
      { numRuns: 300 },
    );
  });
});
