/**
 * The benchmark framework. A benchmark file is any `*.bench.ts` under bench/ whose default export is a suite (or an
 * array of suites) built with `defineSuite`; run.ts finds and runs them all, so adding a benchmark is adding a file.
 *
 * Each case measures one number per run (a rate, a size) and optionally a raw reference measured in the same process,
 * interleaved run by run so both see the same machine state. The report gives the median, the spread (min–max over the
 * runs) and the ratio of the medians, case / reference.
 */

export interface BenchmarkTarget {
  /** The case must reach at least this fraction of its reference (for rates: higher is better). */
  ratioMin?: number;
  /** The measured value must stay at or below this (for sizes: lower is better). */
  valueMax?: number;
  /** The measured value must reach at least this (for rates with an absolute target: higher is better). */
  valueMin?: number;
}

export interface Measured {
  /** The number reported, in the case's unit. */
  value: number;
  /** Extra facts shown in the report's notes ("2,000 histograms, 41 KB each"). */
  detail?: string;
}

export type Measure = () => number | Measured | Promise<number | Measured>;

export interface BenchmarkCase {
  /** Row label: what is measured ("EventLog.append"). */
  name: string;
  /** Unit of the value ("events/s", "MB"). */
  unit: string;
  measure: Measure;
  /** The raw reference measured in the same run (bare SQLite, bare HdrHistogram). */
  reference?: { name: string; measure: Measure };
  target?: BenchmarkTarget;
  /** Runs counted in the statistics (after one uncounted warm-up); default 5. */
  runs?: number;
  /** Whether to run once uncounted first (JIT, caches); default true. Off for cases that start a fresh process. */
  warmup?: boolean;
  /** One sentence for the report: what exactly is measured, and against what. */
  note?: string;
}

export interface BenchmarkSuite {
  /** Section heading in the report ("core: event log"). */
  name: string;
  cases: BenchmarkCase[];
  /** Runs once before the cases, e.g. to create files; its result is not timed. */
  setup?: () => void | Promise<void>;
  teardown?: () => void | Promise<void>;
}

export function defineSuite(suite: BenchmarkSuite): BenchmarkSuite {
  return suite;
}

/**
 * How rates are timed. `wall` (default) is elapsed time. `cpu` is the process's user + system CPU time, for a machine
 * shared with other jobs, where being descheduled would otherwise count as slowness; it leaves out time spent waiting
 * for the disk (fsync), so the report says which clock was used.
 */
export type BenchmarkClock = 'wall' | 'cpu';
let clock: BenchmarkClock = 'wall';

export function setClock(value: BenchmarkClock): void {
  clock = value;
}

export function clockInUse(): BenchmarkClock {
  return clock;
}

/** Times the work done by `work`, `operations` operations' worth, and returns operations per second. */
export function operationsPerSecond(operations: number, work: () => void): number {
  if (clock === 'cpu') {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    return operations / ((used.user + used.system) / 1e6);
  }
  const start = process.hrtime.bigint();
  work();
  const elapsedNs = Number(process.hrtime.bigint() - start);
  return operations / (elapsedNs / 1e9);
}

export interface Statistics {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function statisticsOf(values: readonly number[]): Statistics {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}
