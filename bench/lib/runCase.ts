import { statisticsOf, type BenchmarkCase, type BenchmarkTarget, type Measure, type Measured, type Statistics } from './benchmark.js';

export interface CaseResult {
  suite: string;
  name: string;
  unit: string;
  value: Statistics;
  reference?: { name: string; value: Statistics };
  /** Median of the case / median of the reference. */
  ratio?: number;
  target?: BenchmarkTarget;
  /** Whether the target was met; undefined when there is none. */
  met?: boolean;
  note?: string;
  detail?: string;
}

export const DEFAULT_RUNS = 5;

async function measureOnce(measure: Measure): Promise<Measured> {
  const result = await measure();
  return typeof result === 'number' ? { value: result } : result;
}

/** One warm-up, then `runs` interleaved runs of the case and its reference. */
export async function runCase(suite: string, benchmark: BenchmarkCase): Promise<CaseResult> {
  const runs = benchmark.runs ?? DEFAULT_RUNS;
  const values: number[] = [];
  const referenceValues: number[] = [];
  let detail: string | undefined;
  if (benchmark.warmup ?? true) {
    await measureOnce(benchmark.measure);
    if (benchmark.reference) await measureOnce(benchmark.reference.measure);
  }
  for (let run = 0; run < runs; run++) {
    // Alternate which goes first so neither always runs on a warmer (or more fragmented) heap.
    const referenceFirst = run % 2 === 1;
    if (benchmark.reference && referenceFirst) referenceValues.push((await measureOnce(benchmark.reference.measure)).value);
    const measured = await measureOnce(benchmark.measure);
    values.push(measured.value);
    detail = measured.detail ?? detail;
    if (benchmark.reference && !referenceFirst) referenceValues.push((await measureOnce(benchmark.reference.measure)).value);
  }
  const value = statisticsOf(values);
  const result: CaseResult = { suite, name: benchmark.name, unit: benchmark.unit, value };
  if (benchmark.note) result.note = benchmark.note;
  if (detail) result.detail = detail;
  if (benchmark.reference) {
    result.reference = { name: benchmark.reference.name, value: statisticsOf(referenceValues) };
    result.ratio = value.median / result.reference.value.median;
  }
  if (benchmark.target) {
    result.target = benchmark.target;
    const { ratioMin, valueMax, valueMin } = benchmark.target;
    result.met =
      (ratioMin === undefined || (result.ratio ?? 0) >= ratioMin) &&
      (valueMax === undefined || value.median <= valueMax) &&
      (valueMin === undefined || value.median >= valueMin);
  }
  return result;
}
