import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { HEADER_BYTES, readEncodedHistogram } from './histogramEncoding.js';

/**
 * A faster decoder of the compressed base64 V2 HdrHistogram encoding, for the histograms judging decodes on every
 * window (`samples.window` events, replay). It produces exactly what hdr-histogram-js's `decodeFromCompressedBase64`
 * does (histogramDecode.test.ts compares them count by count), but uses Node's native base64 and reads the counts in
 * one pass that also finds the total, minimum and maximum, where the library decodes base64 in JavaScript, copies each
 * header word, and scans the counts a second time. It returns null for anything it does not recognise, and the caller
 * falls back to the library (which then reports the error).
 * The header is read by histogramEncoding.ts.
 */

interface WritableJsHistogram {
  readonly countsArrayLength: number;
  minNonZeroValue: number;
  setCountAtIndex(index: number, count: number): void;
  setTotalCount(total: number): void;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
}

export function decodeCompressedHistogram(base64: string): Histogram | null {
  const encoded = readEncodedHistogram(base64);
  if (encoded === null) return null;
  const { inner, end, significantDigits, lowest, highest } = encoded;
  const histogram = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: lowest,
    highestTrackableValue: highest,
    // The typing stops at 1, the constructor accepts 0 (as the library decoder passes through).
    numberOfSignificantValueDigits: significantDigits as 1 | 2 | 3 | 4 | 5,
    useWebAssembly: false,
  });
  const writable = histogram as unknown as WritableJsHistogram;
  let position = HEADER_BYTES;
  let index = 0;
  let total = 0;
  let minNonZeroIndex = -1;
  let maxIndex = -1;
  while (position < end) {
    // ZigZag LEB128 of up to 9 bytes, as the library writes it (7 bits a byte, in Number arithmetic).
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
    if (index >= writable.countsArrayLength) return null;
    if (value > 0) {
      writable.setCountAtIndex(index, value);
      total += value;
      if (minNonZeroIndex === -1 && index !== 0) minNonZeroIndex = index;
      maxIndex = index;
    }
    index++;
  }
  // What the library's establishInternalTackingValues computes, without scanning the counts again.
  if (maxIndex >= 0) writable.updatedMaxValue(writable.highestEquivalentValue(writable.valueFromIndex(maxIndex)));
  if (minNonZeroIndex >= 0) writable.updateMinNonZeroValue(writable.valueFromIndex(minNonZeroIndex));
  else writable.minNonZeroValue = Number.MAX_VALUE;
  writable.setTotalCount(total);
  histogram.autoResize = true;
  return histogram;
}

