/**
 * A strict, allocation-free inflater of zlib streams (RFC 1950 around RFC 1951 deflate), for the small compressed
 * histograms of `samples.window` events. Native `zlib.inflateSync` spends most of its ~8 µs per call setting up a new
 * zlib handle (state, 32 KB window, output chunk); decoding a histogram of a few hundred bytes takes a fraction of that.
 *
 * It accepts only what zlib itself accepts and decodes it to the same bytes (the stream is valid, so they are unique),
 * and it is stricter than zlib where the difference does not matter for a histogram: it refuses data after the
 * checksum, a preset dictionary, and a distance beyond the window the header declares. It returns -1 for anything it
 * refuses, and the caller then inflates with zlib as before, so whatever zlib does with such a stream (decode it or
 * report it) is unchanged. zlibInflate.test.ts compares it with zlib on valid, corrupt and truncated streams.
 *
 * The output is written to one buffer reused by every call (decoding is synchronous and never re-entered): it is valid
 * until the next call.
 */

/** Entries of a decoding table (Int32): code length in bits 0–3 (0: no such code), kind in bits 4–5, extra bits 6–9, value from bit 10. */
const KIND_LITERAL = 0;
const KIND_BASE = 1; // a length or a distance: value is the base, extra bits follow the code
const KIND_END = 2;
const KIND_LONG = 3; // a code longer than the table's bits: decoded bit by bit from the canonical counts

const MAX_BITS = 15;
const LITERAL_ROOT_BITS = 9;
const DISTANCE_ROOT_BITS = 6;
const CODE_LENGTH_ROOT_BITS = 7;
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The largest run of output bytes summed before the Adler-32 sums are reduced, so that they stay below 2^31. */
const ADLER_BLOCK_BYTES = 2_000;
/** Zero bytes after the output: a varint reader may run up to 8 bytes past the end of what it reads. */
export const ZERO_TAIL_BYTES = 16;

function entryOf(kind: number, extraBits: number, value: number): number {
  return (value << 10) | (extraBits << 6) | (kind << 4);
}

/** What each symbol decodes to, without its code length; -1 for a symbol that is invalid (zlib refuses it). */
const LITERAL_SYMBOLS = new Int32Array(288).fill(-1);
const DISTANCE_SYMBOLS = new Int32Array(32).fill(-1);
const CODE_LENGTH_SYMBOLS = new Int32Array(19);
for (let symbol = 0; symbol < 256; symbol++) LITERAL_SYMBOLS[symbol] = entryOf(KIND_LITERAL, 0, symbol);
LITERAL_SYMBOLS[256] = entryOf(KIND_END, 0, 0);
for (let i = 0; i < 29; i++) LITERAL_SYMBOLS[257 + i] = entryOf(KIND_BASE, LENGTH_EXTRA[i]!, LENGTH_BASE[i]!);
for (let i = 0; i < 30; i++) DISTANCE_SYMBOLS[i] = entryOf(KIND_BASE, DISTANCE_EXTRA[i]!, DISTANCE_BASE[i]!);
for (let symbol = 0; symbol < 19; symbol++) CODE_LENGTH_SYMBOLS[symbol] = entryOf(KIND_LITERAL, 0, symbol);

/** Bit-reversal of a byte: deflate sends Huffman codes from their most significant bit, into the low bits first. */
const REVERSED_BYTE = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let reversed = 0;
  for (let bit = 0; bit < 8; bit++) if (i & (1 << bit)) reversed |= 0x80 >> bit;
  REVERSED_BYTE[i] = reversed;
}

interface DecodingTable {
  /** Indexed by the next `bits` input bits. */
  entries: Int32Array;
  bits: number;
  /** Canonical code: how many codes of each length, and the symbols in code order (for codes longer than `bits`). */
  readonly lengthCounts: Uint16Array;
  readonly sortedSymbols: Uint16Array;
  readonly symbols: Int32Array;
}

function newTable(rootBits: number, symbols: Int32Array): DecodingTable {
  return {
    entries: new Int32Array(1 << rootBits),
    bits: 0,
    lengthCounts: new Uint16Array(MAX_BITS + 1),
    sortedSymbols: new Uint16Array(symbols.length),
    symbols,
  };
}

const nextCode = new Uint16Array(MAX_BITS + 2);

/**
 * Builds the table of a canonical Huffman code from its code lengths, with zlib's checks (inftrees.c): no length set
 * is over-subscribed, and none is incomplete except a single code of one bit for literals/lengths or distances (the
 * other code of that bit then is invalid). No code at all gives a table of invalid codes (zlib's "max == 0"); for the
 * code-length code either is refused. Returns false when refused.
 */
function buildTable(table: DecodingTable, lengths: Uint8Array, start: number, count: number, rootBits: number, isCodeLengthCode: boolean): boolean {
  const lengthCounts = table.lengthCounts;
  lengthCounts.fill(0);
  for (let i = 0; i < count; i++) lengthCounts[lengths[start + i]!]! += 1;
  lengthCounts[0] = 0;
  let maxLength = MAX_BITS;
  while (maxLength > 0 && lengthCounts[maxLength] === 0) maxLength--;
  if (maxLength === 0) {
    if (isCodeLengthCode) return false;
    table.bits = 1;
    table.entries[0] = 0;
    table.entries[1] = 0;
    return true;
  }
  let left = 1;
  let code = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    left = (left << 1) - lengthCounts[length]!;
    if (left < 0) return false;
    // The first code of each length (RFC 1951 3.2.2).
    code = (code + lengthCounts[length - 1]!) << 1;
    nextCode[length] = code;
  }
  if (left > 0 && (isCodeLengthCode || maxLength !== 1)) return false;
  const bits = maxLength < rootBits ? maxLength : rootBits;
  const size = 1 << bits;
  const entries = table.entries;
  const symbols = table.symbols;
  if (left > 0) entries.fill(0, 0, size);
  table.bits = bits;
  const longEntry = entryOf(KIND_LONG, 0, 0) | bits;
  for (let symbol = 0; symbol < count; symbol++) {
    const length = lengths[start + symbol]!;
    if (length === 0) continue;
    const symbolCode = nextCode[length]!++;
    if (length <= bits) {
      const entry = symbols[symbol]! < 0 ? 0 : symbols[symbol]! | length;
      const step = 1 << length;
      for (let i = reverseBits(symbolCode, length); i < size; i += step) entries[i] = entry;
    } else {
      entries[reverseBits(symbolCode >>> (length - bits), bits)] = longEntry;
    }
  }
  if (maxLength > bits) {
    // The symbols in code order, for decodeLongCode.
    let offset = 0;
    for (let length = 1; length <= MAX_BITS; length++) {
      nextCode[length] = offset;
      offset += lengthCounts[length]!;
    }
    const sortedSymbols = table.sortedSymbols;
    for (let symbol = 0; symbol < count; symbol++) {
      const length = lengths[start + symbol]!;
      if (length !== 0) sortedSymbols[nextCode[length]!++] = symbol;
    }
  }
  return true;
}

function reverseBits(code: number, length: number): number {
  return ((REVERSED_BYTE[code & 0xff]! << 8) | REVERSED_BYTE[code >>> 8]!) >>> (16 - length);
}

/**
 * Decodes a code longer than the table's bits, one bit at a time from the canonical counts (as zlib's puff.c does).
 * `bitBuffer` holds at least 15 bits. Returns the symbol's entry with its full length, or 0 when there is no such code.
 */
function decodeLongCode(table: DecodingTable, bitBuffer: number): number {
  const lengthCounts = table.lengthCounts;
  let code = 0;
  let first = 0;
  let index = 0;
  for (let length = 1; length <= MAX_BITS; length++) {
    code |= (bitBuffer >> (length - 1)) & 1;
    const count = lengthCounts[length]!;
    if (code - count < first) {
      const entry = table.symbols[table.sortedSymbols[index + (code - first)]!]!;
      return entry < 0 ? 0 : entry | length;
    }
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return 0;
}

const codeLengthTable = newTable(CODE_LENGTH_ROOT_BITS, CODE_LENGTH_SYMBOLS);
const literalTable = newTable(LITERAL_ROOT_BITS, LITERAL_SYMBOLS);
const distanceTable = newTable(DISTANCE_ROOT_BITS, DISTANCE_SYMBOLS);
const fixedLiteralTable = newTable(LITERAL_ROOT_BITS, LITERAL_SYMBOLS);
const fixedDistanceTable = newTable(DISTANCE_ROOT_BITS, DISTANCE_SYMBOLS);
{
  const lengths = new Uint8Array(320);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  lengths.fill(5, 288, 320);
  buildTable(fixedLiteralTable, lengths, 0, 288, LITERAL_ROOT_BITS, false);
  buildTable(fixedDistanceTable, lengths, 288, 32, DISTANCE_ROOT_BITS, false);
}
const codeLengths = new Uint8Array(320);

let output = new Uint8Array(8_192);

/**
 * The buffer the last successful `inflateZlib` wrote its output to, from index 0, followed by at least
 * ZERO_TAIL_BYTES zeros; valid until the next call.
 */
export function inflatedBytes(): Uint8Array {
  return output;
}

/**
 * The bit reader between blocks (each block's decoding loop keeps it in locals). It reads ahead: the buffer is topped
 * up to at least 24 bits with whole bytes, past the end of the deflate data if need be (the caller guarantees readable
 * bytes there), so no read needs a branch on how many bits are left. Whether a bit past the end was used is checked
 * once the stream ends, and every loop that reads stops early when the read position runs past `guard`, so garbage
 * cannot keep it going.
 */
let input: Uint8Array = output;
let inputEnd = 0;
let guard = 0;
let position = 0;
let bitBuffer = 0;
let bitCount = 0;

/**
 * Adds whole bytes to a bit buffer of `count` bits until it holds 24 to 31: `(31 − count) >> 3` bytes, taken from the
 * next three (bits past those bytes are masked off, so the bits above the count stay zero).
 */
function refill(): void {
  const take = (31 - bitCount) >> 3;
  const next = input[position]! | (input[position + 1]! << 8) | (input[position + 2]! << 16);
  bitBuffer |= (next & ((1 << (take << 3)) - 1)) << bitCount;
  position += take;
  bitCount += take << 3;
}

/** Takes `bits` (at most the bits held) from the bit buffer. */
function takeBits(bits: number): number {
  const value = bitBuffer & ((1 << bits) - 1);
  bitBuffer >>= bits;
  bitCount -= bits;
  return value;
}

/**
 * Inflates the zlib stream `source[start, end)` into `inflatedBytes()`. Returns the number of bytes written, or -1 when
 * it refuses the stream (see the file comment). `source` must have at least 16 readable bytes after `end` (their values
 * do not matter): the bit reader reads ahead and checks afterwards that it used no byte past the deflate data.
 */
export function inflateZlib(source: Uint8Array, start: number, end: number): number {
  if (end - start < 6 || end + 16 > source.length) return -1;
  const method = source[start]!;
  const flags = source[start + 1]!;
  // Deflate, a window of at most 32 KB, a valid check value, no preset dictionary.
  if ((method & 0x0f) !== 8 || method >>> 4 > 7 || ((method << 8) | flags) % 31 !== 0 || (flags & 0x20) !== 0) return -1;
  const windowBytes = 1 << ((method >>> 4) + 8);
  input = source;
  inputEnd = end - 4; // the Adler-32 checksum follows the deflate data
  guard = inputEnd + 4;
  position = start + 2;
  bitBuffer = 0;
  bitCount = 0;
  let written = 0;
  let isFinal = false;
  while (!isFinal) {
    if (position > guard) return -1;
    refill();
    isFinal = takeBits(1) === 1;
    const type = takeBits(2);
    if (type === 0) {
      written = copyStoredBlock(written);
    } else if (type === 1) {
      written = decodeBlock(fixedLiteralTable, fixedDistanceTable, written, windowBytes);
    } else if (type === 2) {
      written = readDynamicTables() ? decodeBlock(literalTable, distanceTable, written, windowBytes) : -1;
    } else {
      return -1;
    }
    if (written < 0) return -1;
  }
  // The checksum starts at the next byte boundary, right where the deflate data ends: the whole bytes still in the bit
  // buffer were read ahead.
  position -= bitCount >>> 3;
  if (position !== inputEnd) return -1;
  const expected = ((source[position]! << 24) | (source[position + 1]! << 16) | (source[position + 2]! << 8) | source[position + 3]!) >>> 0;
  if (adler32(output, written) !== expected) return -1;
  // Zeros after the output, as a reader running past the end of an exact-size buffer would read (undefined, as 0).
  ensureOutput(written + ZERO_TAIL_BYTES);
  output.fill(0, written, written + ZERO_TAIL_BYTES);
  return written;
}

function copyStoredBlock(written: number): number {
  // The length words start at the next byte boundary: give back the whole bytes the bit buffer read ahead.
  position -= bitCount >>> 3;
  bitBuffer = 0;
  bitCount = 0;
  if (position + 4 > inputEnd) return -1;
  const length = input[position]! | (input[position + 1]! << 8);
  const complement = input[position + 2]! | (input[position + 3]! << 8);
  position += 4;
  if (length !== (~complement & 0xffff) || position + length > inputEnd) return -1;
  ensureOutput(written + length);
  output.set(input.subarray(position, position + length), written);
  position += length;
  return written + length;
}

function ensureOutput(bytes: number): void {
  if (bytes <= output.length) return;
  let size = output.length * 2;
  while (size < bytes) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(output);
  output = grown;
}

/** Reads a dynamic block's code lengths and builds `literalTable` and `distanceTable`; false when zlib would refuse them. */
function readDynamicTables(): boolean {
  refill();
  const literalCount = takeBits(5) + 257;
  const distanceCount = takeBits(5) + 1;
  const codeLengthCount = takeBits(4) + 4;
  if (literalCount > 286 || distanceCount > 30) return false;
  codeLengths.fill(0, 0, 19);
  for (let i = 0; i < codeLengthCount; i++) {
    refill();
    codeLengths[CODE_LENGTH_ORDER[i]!] = takeBits(3);
  }
  if (!buildTable(codeLengthTable, codeLengths, 0, 19, CODE_LENGTH_ROOT_BITS, true)) return false;
  const total = literalCount + distanceCount;
  const entries = codeLengthTable.entries;
  const mask = (1 << codeLengthTable.bits) - 1;
  const source = input;
  let bits = bitBuffer;
  let count = bitCount;
  let at = position;
  let i = 0;
  while (i < total) {
    if (at > guard) return false;
    // A code of up to 7 bits and up to 7 extra bits: 24 bits are enough.
    const take = (31 - count) >> 3;
    bits |= ((source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16)) & ((1 << (take << 3)) - 1)) << count;
    at += take;
    count += take << 3;
    const entry = entries[bits & mask]!;
    const length = entry & 15;
    if (length === 0) return false;
    bits >>= length;
    count -= length;
    const symbol = entry >> 10;
    if (symbol < 16) {
      codeLengths[i++] = symbol;
      continue;
    }
    let value = 0;
    let repeat: number;
    if (symbol === 16) {
      if (i === 0) return false;
      value = codeLengths[i - 1]!;
      repeat = 3 + (bits & 3);
      bits >>= 2;
      count -= 2;
    } else if (symbol === 17) {
      repeat = 3 + (bits & 7);
      bits >>= 3;
      count -= 3;
    } else {
      repeat = 11 + (bits & 127);
      bits >>= 7;
      count -= 7;
    }
    if (i + repeat > total) return false;
    codeLengths.fill(value, i, i + repeat);
    i += repeat;
  }
  bitBuffer = bits;
  bitCount = count;
  position = at;
  if (codeLengths[256] === 0) return false; // no end-of-block code
  return (
    buildTable(literalTable, codeLengths, 0, literalCount, LITERAL_ROOT_BITS, false) &&
    buildTable(distanceTable, codeLengths, literalCount, distanceCount, DISTANCE_ROOT_BITS, false)
  );
}

/**
 * Decodes one compressed block's symbols into the output. The loop tops the bit buffer up to 24 bits before a
 * literal/length code (at most 15 bits, then at most 5 extra bits) and again before a distance code (at most 15 bits,
 * then at most 13 extra bits, for which it tops up once more when fewer are left).
 */
function decodeBlock(literals: DecodingTable, distances: DecodingTable, start: number, windowBytes: number): number {
  const source = input;
  const limit = guard;
  const literalEntries = literals.entries;
  const literalMask = (1 << literals.bits) - 1;
  const distanceEntries = distances.entries;
  const distanceMask = (1 << distances.bits) - 1;
  let out = output;
  let capacity = out.length;
  let written = start;
  let bits = bitBuffer;
  let count = bitCount;
  let at = position;
  for (;;) {
    if (at > limit) return -1;
    let take = (31 - count) >> 3;
    bits |= ((source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16)) & ((1 << (take << 3)) - 1)) << count;
    at += take;
    count += take << 3;
    let entry = literalEntries[bits & literalMask]!;
    if ((entry & 0x30) === KIND_LONG << 4) entry = decodeLongCode(literals, bits);
    let length = entry & 15;
    if (length === 0) return -1;
    bits >>= length;
    count -= length;
    const kind = (entry >> 4) & 3;
    if (kind === KIND_LITERAL) {
      if (written >= capacity) {
        output = out;
        ensureOutput(written + 1);
        out = output;
        capacity = out.length;
      }
      out[written++] = entry >> 10;
      continue;
    }
    if (kind === KIND_END) break;
    let extra = (entry >> 6) & 15;
    length = (entry >> 10) + (bits & ((1 << extra) - 1));
    bits >>= extra;
    count -= extra;
    take = (31 - count) >> 3;
    bits |= ((source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16)) & ((1 << (take << 3)) - 1)) << count;
    at += take;
    count += take << 3;
    entry = distanceEntries[bits & distanceMask]!;
    if ((entry & 0x30) === KIND_LONG << 4) entry = decodeLongCode(distances, bits);
    const codeLength = entry & 15;
    if (codeLength === 0) return -1;
    bits >>= codeLength;
    count -= codeLength;
    extra = (entry >> 6) & 15;
    if (count < extra) {
      take = (31 - count) >> 3;
      bits |= ((source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16)) & ((1 << (take << 3)) - 1)) << count;
      at += take;
      count += take << 3;
    }
    const distance = (entry >> 10) + (bits & ((1 << extra) - 1));
    bits >>= extra;
    count -= extra;
    if (distance > written || distance > windowBytes) return -1;
    if (written + length > capacity) {
      output = out;
      ensureOutput(written + length);
      out = output;
      capacity = out.length;
    }
    // Byte by byte, in order: a match may overlap what it writes. Every match is at least 3 bytes long.
    let from = written - distance;
    const stop = written + length;
    out[written] = out[from]!;
    out[written + 1] = out[from + 1]!;
    out[written + 2] = out[from + 2]!;
    written += 3;
    from += 3;
    while (written < stop) out[written++] = out[from++]!;
  }
  output = out;
  bitBuffer = bits;
  bitCount = count;
  position = at;
  return written;
}

/** Adler-32 (RFC 1950), four bytes a step: the second sum gains 4a + 4x₀ + 3x₁ + 2x₂ + x₃ from bytes x₀…x₃. */
function adler32(bytes: Uint8Array, length: number): number {
  let a = 1;
  let b = 0;
  let i = 0;
  while (i < length) {
    const stop = Math.min(i + ADLER_BLOCK_BYTES, length);
    const stop4 = stop - 3;
    for (; i < stop4; i += 4) {
      const x0 = bytes[i]!;
      const x1 = bytes[i + 1]!;
      const x2 = bytes[i + 2]!;
      const x3 = bytes[i + 3]!;
      b += 4 * a + 4 * x0 + 3 * x1 + 2 * x2 + x3;
      a += x0 + x1 + x2 + x3;
    }
    for (; i < stop; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
