import fc from 'fast-check';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, encodeLatencyHistogram, recordLatencyMs } from './histogram.js';
import { decodeCompressedHistogram } from './histogramDecode.js';

interface Inspectable {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
}

function counts(histogram: unknown): number[] {
  const h = histogram as Inspectable;
  return Array.from({ length: h.countsArrayLength }, (_, i) => h.getCountAtIndex(i));
}

describe('decodeCompressedHistogram', () => {
  it('decodes exactly what hdr-histogram-js decodes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 3_600_000, noNaN: true }), fc.integer({ min: 1, max: 100_000 })), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 2, max: 4_000_000_000 }),
        (values, presizeUs) => {
          const histogram = createLatencyHistogram(presizeUs);
          for (const [latencyMs, count] of values) recordLatencyMs(histogram, latencyMs, count);
          const encoded = encodeLatencyHistogram(histogram);
          const fast = decodeCompressedHistogram(encoded)!;
          const library = decodeFromCompressedBase64(encoded, 32, false);
          expect(fast).not.toBeNull();
          expect(fast.totalCount).toBe(library.totalCount);
          expect(fast.maxValue).toBe(library.maxValue);
          expect(fast.minNonZeroValue).toBe(library.minNonZeroValue);
          expect(counts(fast)).toEqual(counts(library));
          for (const p of [0, 50, 99, 100]) expect(fast.getValueAtPercentile(p)).toBe(library.getValueAtPercentile(p));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('returns null for what it does not recognise, so the library can report it', () => {
    expect(decodeCompressedHistogram('bm90IGEgaGlzdG9ncmFt')).toBeNull();
    expect(decodeCompressedHistogram('')).toBeNull();
  });
});
