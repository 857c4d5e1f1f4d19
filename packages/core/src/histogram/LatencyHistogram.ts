import { countsArrayLengthOf, isStandardLayout, LATENCY_US_MAX, STANDARD_COUNTS_LENGTH, STANDARD_LAYOUT, standardIndexOf, valueOfIndex } from './layout.js';
import { EMPTY_SPARSE_HISTOGRAM, type SparseLatencyHistogram } from './sparse.js';

/**
 * A latency histogram being recorded: integer microseconds in Sluice's layout (1 µs, 3 significant digits, so a value
 * is known to within 0.1%), the bucket arithmetic of HdrHistogram (layout.ts). It answers what a window's histogram is
 * asked — record, add, total, maximum — and its read view is the sparse form (sparse.ts) that quantiles, slow counts,
 * merges and the encoding work on.
 *
 * Counts are dense while it is written (an array indexed by bucket, grown to the highest value recorded so far: a
 * window of 1–50 ms latencies holds ~16,000 buckets) and are not allocated at all for a histogram that was decoded and
 * is only read. Counts are doubles, exact to 2^53; the library's 32-bit counters wrapped at 2^31.
 */
export class LatencyHistogram {
  /** Dense counts by bucket index; null until the first write (a decoded histogram that is only read has none). */
  #counts: Float64Array | null;
  /** The read view; null after a write until it is asked for again. */
  #sparse: SparseLatencyHistogram | null;
  #totalCount: number;
  #maxValue: number;

  /** Buckets allocated at the first write. */
  #presizedLength: number;

  /** An empty histogram presized for values up to `highestLatencyUs` (it still grows past that). Allocates on first write. */
  constructor(highestLatencyUs = 2) {
    this.#counts = null;
    this.#sparse = EMPTY_SPARSE_HISTOGRAM;
    this.#totalCount = 0;
    this.#maxValue = 0;
    this.#presizedLength = lengthFor(highestLatencyUs);
  }

  /**
   * The histogram of a decoded window. A histogram of our layout is kept as it is; one of another layout (a producer's)
   * is converted the way hdr-histogram-js's `add` converted it when recording added it to a window: each bucket's count
   * recorded at the bucket's lowest value.
   */
  static fromSparse(sparse: SparseLatencyHistogram): LatencyHistogram {
    if (isStandardLayout(sparse.layout)) {
      const histogram = new LatencyHistogram(2);
      histogram.#sparse = sparse;
      histogram.#totalCount = sparse.totalCount;
      histogram.#maxValue = sparse.maxValue;
      return histogram;
    }
    const { indexes, counts, layout } = sparse;
    const histogram = new LatencyHistogram(sparse.maxValue);
    for (let i = 0; i < indexes.length; i++) if (counts[i]! > 0) histogram.recordValueWithCount(Math.min(LATENCY_US_MAX, valueOfIndex(layout, indexes[i]!)), counts[i]!);
    return histogram;
  }

  /** Values recorded. */
  get totalCount(): number {
    return this.#totalCount;
  }

  /** The largest value recorded, in µs (0 when empty); for a decoded histogram, the highest value of its last bucket. */
  get maxValue(): number {
    return this.#maxValue;
  }

  /** Records one value in µs: a number in [0, LATENCY_US_MAX] (latencyMsToUs clamps into it). */
  recordValue(valueUs: number): void {
    // recordValueWithCount(valueUs, 1) without the checks of the count: recording a window calls this per request.
    if (!(valueUs >= 0 && valueUs <= LATENCY_US_MAX)) throw new RangeError(`a latency must be within [0, ${LATENCY_US_MAX}] µs, got ${valueUs}`);
    const index = standardIndexOf(valueUs);
    let counts = this.#counts;
    if (counts === null || index >= counts.length) counts = this.#writableCounts(index);
    counts[index]!++;
    this.#totalCount++;
    if (valueUs > this.#maxValue) this.#maxValue = valueUs;
    this.#sparse = null;
  }

  /** Records `count` (a whole number ≥ 0) occurrences of a value in µs in [0, LATENCY_US_MAX]. */
  recordValueWithCount(valueUs: number, count: number): void {
    if (!(valueUs >= 0 && valueUs <= LATENCY_US_MAX)) throw new RangeError(`a latency must be within [0, ${LATENCY_US_MAX}] µs, got ${valueUs}`);
    if (!(count >= 0 && Number.isSafeInteger(count))) throw new RangeError(`a count must be a whole number ≥ 0, got ${count}`);
    const index = standardIndexOf(valueUs);
    const counts = this.#writableCounts(index);
    counts[index] = counts[index]! + count;
    this.#totalCount += count;
    if (valueUs > this.#maxValue) this.#maxValue = valueUs;
    this.#sparse = null;
  }

  /** Adds every value of `other` (which is not modified). */
  add(other: LatencyHistogram): void {
    const { indexes, counts } = other.toSparse();
    if (indexes.length === 0) return;
    const target = this.#writableCounts(indexes[indexes.length - 1]!);
    for (let i = 0; i < indexes.length; i++) if (counts[i]! > 0) target[indexes[i]!] = target[indexes[i]!]! + counts[i]!;
    this.#totalCount += other.totalCount;
    if (other.maxValue > this.#maxValue) this.#maxValue = other.maxValue;
    this.#sparse = null;
  }

  /** The non-zero buckets (read view, shared: do not modify it). Computed once after each write. */
  toSparse(): SparseLatencyHistogram {
    if (this.#sparse !== null) return this.#sparse;
    const counts = this.#counts!;
    const indexes: number[] = [];
    const nonZero: number[] = [];
    const end = this.#totalCount === 0 ? 0 : Math.min(counts.length, standardIndexOf(this.#maxValue) + 1);
    for (let index = 0; index < end; index++) {
      const count = counts[index]!;
      if (count !== 0) {
        indexes.push(index);
        nonZero.push(count);
      }
    }
    this.#sparse =
      indexes.length === 0
        ? EMPTY_SPARSE_HISTOGRAM
        : { layout: STANDARD_LAYOUT, indexes, counts: nonZero, totalCount: this.#totalCount, maxValue: this.#maxValue, countsArrayLength: STANDARD_COUNTS_LENGTH };
    return this.#sparse;
  }

  /** The dense counts, allocated from the read view if needed, long enough for bucket `index`. */
  #writableCounts(index: number): Float64Array {
    let counts = this.#counts;
    if (counts === null) {
      const sparse = this.#sparse!;
      const last = sparse.indexes.length === 0 ? 0 : sparse.indexes[sparse.indexes.length - 1]!;
      counts = new Float64Array(Math.max(this.#presizedLength, lengthForIndex(Math.max(index, last))));
      for (let i = 0; i < sparse.indexes.length; i++) counts[sparse.indexes[i]!] = sparse.counts[i]!;
      this.#counts = counts;
    } else if (index >= counts.length) {
      // Grown to at least twice the highest value tracked so far, so that a rising tail resizes a few times only.
      const grown = new Float64Array(Math.max(lengthForIndex(index), Math.min(STANDARD_COUNTS_LENGTH, counts.length + 2 * 1024)));
      grown.set(counts);
      counts = this.#counts = grown;
    }
    return counts;
  }
}

/** Buckets needed for values up to `highestUs` (within [2, LATENCY_US_MAX]). */
function lengthFor(highestUs: number): number {
  return countsArrayLengthOf(STANDARD_LAYOUT, Math.min(LATENCY_US_MAX, Math.max(2, Math.ceil(highestUs))));
}

/** Buckets needed for bucket `index`: whole octaves of the layout, as the library sizes them. */
function lengthForIndex(index: number): number {
  return Math.min(STANDARD_COUNTS_LENGTH, lengthFor(valueOfIndex(STANDARD_LAYOUT, index)));
}
