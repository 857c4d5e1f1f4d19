import { constants, deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inflatedBytes, inflateZlib, ZERO_TAIL_BYTES } from './zlibInflate.js';

/** The stream at the start of a buffer with the 16 readable bytes after it that inflateZlib asks for. */
function withReadAhead(stream: Uint8Array, filler = 0xa5): Uint8Array {
  const source = new Uint8Array(stream.length + 16).fill(filler);
  source.set(stream);
  return source;
}

function inflateJs(stream: Uint8Array): Buffer | null {
  const written = inflateZlib(withReadAhead(stream), 0, stream.length);
  return written < 0 ? null : Buffer.from(inflatedBytes().subarray(0, written));
}

function inflateNative(stream: Uint8Array): Buffer | null {
  try {
    return inflateSync(stream);
  } catch {
    return null;
  }
}

/** Bytes that compress in different ways: noise, few symbols, repeats at many distances, sparse varint-like runs. */
const dataArbitrary = fc.oneof(
  fc.uint8Array({ maxLength: 3_000 }),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5_000 }).map((values) => Uint8Array.from(values)),
  fc
    .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 })), { maxLength: 200 })
    .map((pieces) => Uint8Array.from(pieces.flatMap(([bytes, times]) => Array.from({ length: times }, () => [...bytes]).flat()).slice(0, 70_000))),
  fc.array(fc.oneof(fc.constant(2), fc.constant(1), fc.integer({ min: 0, max: 255 })), { maxLength: 4_000 }).map((values) => Uint8Array.from(values)),
);

const optionsArbitrary = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  strategy: fc.constantFrom(constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED),
  windowBits: fc.integer({ min: 9, max: 15 }),
  memLevel: fc.integer({ min: 1, max: 9 }),
});

/** A change to a stream: a flipped bit, a byte set, a cut, or bytes added at the end. */
const damageArbitrary: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

type Damage = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'append'; bytes: Uint8Array };

function damage(stream: Uint8Array, change: Damage): Uint8Array {
  const copy = Uint8Array.from(stream);
  if (change.kind === 'append') return Uint8Array.from([...copy, ...change.bytes]);
  const at = change.at % copy.length;
  if (change.kind === 'cut') return copy.subarray(0, at);
  if (change.kind === 'flip') copy[at]! ^= 1 << change.bit;
  else copy[at] = change.value;
  return copy;
}

/** Writes deflate bits: plain values from their lowest bit, Huffman codes from their highest (RFC 1951 3.1.1). */
class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private count = 0;

  bits(value: number, length: number): this {
    for (let i = 0; i < length; i++) this.push((value >> i) & 1);
    return this;
  }

  code(value: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.push((value >> i) & 1);
    return this;
  }

  /** The deflate data in a zlib stream whose checksum is that of `output`. */
  zlib(output: number[]): Uint8Array {
    const deflate = this.count > 0 ? [...this.bytes, this.current] : this.bytes;
    let a = 1;
    let b = 0;
    for (const byte of output) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    return Uint8Array.from([0x78, 0x9c, ...deflate, b >> 8, b & 0xff, a >> 8, a & 0xff]);
  }

  private push(bit: number): void {
    this.current |= bit << this.count;
    if (++this.count === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.count = 0;
    }
  }
}

const A = 0x41;

describe('inflateZlib', () => {
  it('inflates what zlib deflates, whatever the level, strategy and window (property)', () => {
    fc.assert(
      fc.property(dataArbitrary, optionsArbitrary, (data, options) => {
        const stream = deflateSync(data, options);
        expect(inflateJs(stream)).toEqual(Buffer.from(data));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a damaged stream only when zlib does, and then inflates the same bytes (property)', () => {
    fc.assert(
      fc.property(dataArbitrary, optionsArbitrary, fc.array(damageArbitrary, { minLength: 1, maxLength: 3 }), (data, options, changes) => {
        let stream: Uint8Array = deflateSync(data, options);
        for (const change of changes) if (stream.length > 0) stream = damage(stream, change);
        const inflated = inflateJs(stream);
        if (inflated !== null) expect(inflateNative(stream)).toEqual(inflated);
      }),
      { numRuns: 1_000 },
    );
  });

  it('decodes the same whatever the bytes after the stream (it reads ahead but never uses them)', () => {
    const data = Uint8Array.from({ length: 2_000 }, (_, i) => (i * 7919) % 13);
    const stream = deflateSync(data);
    for (const filler of [0x00, 0xff, 0x5a]) {
      const written = inflateZlib(withReadAhead(stream, filler), 0, stream.length);
      expect(Buffer.from(inflatedBytes().subarray(0, written))).toEqual(Buffer.from(data));
    }
  });

  it('is followed by zeros in its output buffer, and grows that buffer for large output', () => {
    const data = new Uint8Array(100_000).fill(7);
    const written = inflateZlib(withReadAhead(deflateSync(data)), 0, deflateSync(data).length);
    expect(written).toBe(100_000);
    expect([...inflatedBytes().subarray(written, written + ZERO_TAIL_BYTES)]).toEqual(new Array(ZERO_TAIL_BYTES).fill(0));
  });

  it('inflates stored blocks and an empty stream', () => {
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    expect(inflateJs(deflateSync(data, { level: 0 }))).toEqual(Buffer.from(data));
    expect(inflateJs(deflateSync(new Uint8Array(0)))).toEqual(Buffer.alloc(0));
  });

  it('refuses what it leaves to zlib: data after the checksum, a preset dictionary, a wrong checksum, a cut stream', () => {
    const data = Buffer.from('latency latency latency histogram');
    const stream = deflateSync(data);
    expect(inflateJs(Buffer.concat([stream, Buffer.from([0])]))).toBeNull();
    expect(inflateNative(Buffer.concat([stream, Buffer.from([0])]))).toEqual(data); // zlib ignores trailing data
    expect(inflateJs(deflateSync(data, { dictionary: Buffer.from('latency') }))).toBeNull();
    const badChecksum = Buffer.from(stream);
    badChecksum[badChecksum.length - 1]! ^= 1;
    expect(inflateJs(badChecksum)).toBeNull();
    expect(inflateNative(badChecksum)).toBeNull();
    expect(inflateJs(stream.subarray(0, stream.length - 1))).toBeNull();
    expect(inflateZlib(stream, 0, stream.length)).toBe(-1); // no room to read ahead
  });

  it('refuses what zlib refuses even when the checksum matches: an incomplete literal code', () => {
    // Dynamic block; code-length code: 18 → "0", 0 → "10", 2 → "11". Literal code 'A' → 00, end of block → 01: two of
    // the four 2-bit codes, an incomplete set zlib refuses.
    const writer = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(12, 4);
    for (const length of [0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]) writer.bits(length, 3);
    writer.code(0, 1).bits(65 - 11, 7).code(3, 2); // 65 zeros, then 'A' has length 2
    writer.code(0, 1).bits(138 - 11, 7).code(0, 1).bits(52 - 11, 7).code(3, 2).code(2, 2); // end of block: 2; no distance
    writer.code(0, 2).code(0, 2).code(0, 2).code(1, 2);
    const stream = writer.zlib([A, A, A]);
    expect(inflateNative(stream)).toBeNull();
    expect(inflateJs(stream)).toBeNull();
  });

  it('refuses what zlib refuses even when the checksum matches: a repeat of the previous length with none before it', () => {
    // Code-length code: 0 → 00, 1 → 01, 16 → 10, 18 → 11; it starts with 16. Literal code 'A' → 0, end of block → 1.
    const writer = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(14, 4);
    for (const length of [2, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]) writer.bits(length, 3);
    writer.code(2, 2).bits(0, 2).code(3, 2).bits(62 - 11, 7).code(1, 2);
    writer.code(3, 2).bits(138 - 11, 7).code(3, 2).bits(52 - 11, 7).code(1, 2).code(0, 2);
    writer.code(0, 1).code(0, 1).code(0, 1).code(1, 1);
    const stream = writer.zlib([A, A, A]);
    expect(inflateNative(stream)).toBeNull();
    expect(inflateJs(stream)).toBeNull();
  });

  it('refuses what zlib refuses even when the checksum matches: a distance before the start of the output', () => {
    // Fixed codes: 'a', then a match of 3 bytes at distance 2, then end of block.
    const stream = new BitWriter()
      .bits(1, 1)
      .bits(1, 2)
      .code(0x30 + 0x61, 8)
      .code(1, 7)
      .code(1, 5)
      .code(0, 7)
      .zlib([0x61, 0, 0x61, 0]);
    expect(inflateNative(stream)).toBeNull();
    expect(inflateJs(stream)).toBeNull();
  });

  it('inflates a hand-written dynamic block as zlib does (the writer above is right)', () => {
    // As the incomplete-code case, with the code complete: 'A' → 0, end of block → 1.
    const writer = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(14, 4);
    for (const length of [0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]) writer.bits(length, 3);
    // Code-length code: 18 → 0, 0 → 10, 1 → 11.
    writer.code(0, 1).bits(65 - 11, 7).code(3, 2);
    writer.code(0, 1).bits(138 - 11, 7).code(0, 1).bits(52 - 11, 7).code(3, 2).code(2, 2);
    writer.code(0, 1).code(0, 1).code(0, 1).code(1, 1);
    const stream = writer.zlib([A, A, A]);
    expect(inflateNative(stream)).toEqual(Buffer.from('AAA'));
    expect(inflateJs(stream)).toEqual(Buffer.from('AAA'));
  });
});
