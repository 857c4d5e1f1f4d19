import { createLatencyHistogram, encodeLatencyHistogram, latencyMsToUs, LatencyHistogram, STANDARD_LAYOUT } from '../histogram/index.js';
import type { SampleWindowData, VariantWindow } from '../window.js';
import type { Random } from './prng.js';
import { drawLatencyMs, latencyComponents, latencyQuantileMs, type LatencyComponent, type LatencyDistribution } from './latencyDistribution.js';
import type { TrafficModel } from './trafficModel.js';

/**
 * Draws the sample windows of a traffic model. Requests arrive as a Poisson process at the model's rate (scaled by
 * the diurnal swing); each is routed to the canary with the probability of the weight in force, so per segment of
 * constant weight the two arms' counts are independent Poisson draws (thinning). Errors are binomial per arm; every
 * request's latency is drawn from the arm's distribution (a lognormal or a mixture of them) and recorded in the
 * window's HdrHistogram. A window is split at weight changes and model changes, so nothing is approximated by a
 * window-wide average except the diurnal rate, taken at each segment's midpoint (its period is hours, a window is
 * seconds).
 *
 * With `latencyBins` (the judge harness's many-seed runs), a latency is instead one of that many equally likely values
 * — the distribution's quantiles at (i + ½) / bins — counted per bin and recorded once per bin: several times faster
 * at high traffic, and the same for both arms of an A/A comparison. The exact sampler is the default.
 */
export interface ArmParameters {
  errorRate: number;
  latency: readonly LatencyComponent[];
  /** Multiplies every component's median (the model's `latencyMultiplier` changes). */
  latencyMultiplier: number;
}

/** The arm's parameters in force at `atMs` (ms from the start): the model's base values with every change up to then. */
export function armParametersAt(model: TrafficModel, arm: 'baseline' | 'canary', atMs: number): ArmParameters {
  const base = model[arm];
  let errorRate = base.errorRate;
  let multiplier = 1;
  for (const change of model.changes) {
    if (change.atMs > atMs) break;
    if (change.arm !== arm && change.arm !== 'both') continue;
    if (change.errorRate !== undefined) errorRate = change.errorRate;
    if (change.latencyMultiplier !== undefined) multiplier = change.latencyMultiplier;
  }
  return { errorRate, latency: componentsOf(base.latencyMs), latencyMultiplier: multiplier };
}

/** Normalised components per model distribution object, computed once. */
const componentCache = new WeakMap<object, LatencyComponent[]>();
function componentsOf(distribution: LatencyDistribution): LatencyComponent[] {
  let components = componentCache.get(distribution);
  if (!components) {
    components = latencyComponents(distribution);
    componentCache.set(distribution, components);
  }
  return components;
}

/** Requests per second at `atMs`, with the diurnal swing. */
export function requestRateAt(model: TrafficModel, atMs: number): number {
  const swing = model.diurnal ? 1 + model.diurnal.amplitude * Math.sin((2 * Math.PI * atMs) / model.diurnal.periodMs) : 1;
  return model.requestsPerSecond * Math.max(swing, 0);
}

/** A time range of constant canary weight inside a window, ms from the start. */
export interface WeightSegment {
  fromMs: number;
  toMs: number;
  weightPercent: number;
}

/** Draws one window [fromMs, toMs) given the weight segments covering it; `epochMs` turns model time into event time. */
export function generateWindow(random: Random, model: TrafficModel, segments: readonly WeightSegment[], epochMs: number, latencyBins = 0): SampleWindowData {
  const fromMs = segments[0]?.fromMs ?? 0;
  const toMs = segments.at(-1)?.toMs ?? fromMs;
  const arms = { baseline: newArm(), canary: newArm() };
  for (const segment of splitAtChanges(model, segments)) {
    const durationS = (segment.toMs - segment.fromMs) / 1000;
    if (durationS <= 0) continue;
    const meanRequests = requestRateAt(model, (segment.fromMs + segment.toMs) / 2) * durationS;
    const canaryShare = segment.weightPercent / 100;
    drawArm(random, arms.canary, armParametersAt(model, 'canary', segment.fromMs), random.poisson(meanRequests * canaryShare), latencyBins);
    drawArm(random, arms.baseline, armParametersAt(model, 'baseline', segment.fromMs), random.poisson(meanRequests * (1 - canaryShare)), latencyBins);
  }
  return { windowStartAt: epochMs + fromMs, windowEndAt: epochMs + toMs, baseline: closeArm(arms.baseline), canary: closeArm(arms.canary) };
}

interface ArmAccumulator {
  count: number;
  errors: number;
  /** Exact sampling: the histogram being recorded (created at the first request). */
  histogram: LatencyHistogram | null;
  /** Binned sampling: counts per bin, for each set of bins the window drew from (one, unless a change split it). */
  binned: Array<{ bins: Bins; counts: Uint32Array }>;
}

function newArm(): ArmAccumulator {
  return { count: 0, errors: 0, histogram: null, binned: [] };
}

function drawArm(random: Random, arm: ArmAccumulator, parameters: ArmParameters, requests: number, latencyBins: number): void {
  if (requests === 0) return;
  arm.count += requests;
  arm.errors += random.binomial(requests, parameters.errorRate);
  if (latencyBins > 0) {
    drawBinned(random, arm, binsOf(parameters, latencyBins), requests);
    return;
  }
  const histogram = (arm.histogram ??= createLatencyHistogram());
  for (let i = 0; i < requests; i++) {
    histogram.recordValue(latencyMsToUs(drawLatencyMs(random, parameters.latency, parameters.latencyMultiplier)));
  }
}

/**
 * The bins of a distribution and multiplier, computed once per (components, multiplier, bins): each bin's latency
 * (µs, the quantile at (i + ½)/bins) and the histogram bucket that value falls in, found by recording it once — so a
 * window is built from bucket counts without recording request by request, and encodes exactly as recording would.
 */
interface Bins {
  valuesUs: Float64Array;
  bucketIndexes: Int32Array;
  countsArrayLength: number;
}
const binCache = new WeakMap<readonly LatencyComponent[], Map<string, Bins>>();
function binsOf(parameters: ArmParameters, bins: number): Bins {
  let byKey = binCache.get(parameters.latency);
  if (!byKey) {
    byKey = new Map();
    binCache.set(parameters.latency, byKey);
  }
  const key = `${parameters.latencyMultiplier}/${bins}`;
  let cached = byKey.get(key);
  if (!cached) {
    const valuesUs = new Float64Array(bins);
    const bucketIndexes = new Int32Array(bins);
    let countsArrayLength = 0;
    for (let i = 0; i < bins; i++) {
      valuesUs[i] = latencyMsToUs(latencyQuantileMs(parameters.latency, (i + 0.5) / bins, parameters.latencyMultiplier));
      const one = createLatencyHistogram();
      one.recordValue(valuesUs[i]!);
      const sparse = one.toSparse();
      bucketIndexes[i] = sparse.indexes[0]!;
      countsArrayLength = sparse.countsArrayLength;
    }
    cached = { valuesUs, bucketIndexes, countsArrayLength };
    byKey.set(key, cached);
  }
  return cached;
}

function drawBinned(random: Random, arm: ArmAccumulator, bins: Bins, requests: number): void {
  const size = bins.valuesUs.length;
  let entry = arm.binned.find((e) => e.bins === bins);
  if (!entry) {
    entry = { bins, counts: new Uint32Array(size) };
    arm.binned.push(entry);
  }
  const counts = entry.counts;
  for (let i = 0; i < requests; i++) counts[Math.floor(random.next() * size)]! += 1;
}

function closeArm(arm: ArmAccumulator): VariantWindow {
  if (arm.count === 0) return { count: 0, errors: 0, latencyHistogram: '' };
  return { count: arm.count, errors: arm.errors, latencyHistogram: encodeLatencyHistogram(arm.histogram ?? binnedHistogram(arm)) };
}

/**
 * The histogram of a binned arm, from its bucket counts: the read view recording the same values would give (bins are
 * in ascending order of value, so their buckets are too; neighbours that share a bucket are merged).
 */
function binnedHistogram(arm: ArmAccumulator): LatencyHistogram {
  const byIndex = new Map<number, number>();
  let maxValue = 0;
  let countsArrayLength = 0;
  const indexes: number[] = [];
  const counts: number[] = [];
  for (const { bins, counts: binCounts } of arm.binned) {
    countsArrayLength = bins.countsArrayLength;
    for (let b = 0; b < binCounts.length; b++) {
      const count = binCounts[b]!;
      if (count === 0) continue;
      const index = bins.bucketIndexes[b]!;
      if (bins.valuesUs[b]! > maxValue) maxValue = bins.valuesUs[b]!;
      if (arm.binned.length > 1) byIndex.set(index, (byIndex.get(index) ?? 0) + count);
      else if (indexes.length > 0 && indexes[indexes.length - 1] === index) counts[counts.length - 1]! += count;
      else {
        indexes.push(index);
        counts.push(count);
      }
    }
  }
  if (arm.binned.length > 1) {
    for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
      indexes.push(index);
      counts.push(byIndex.get(index)!);
    }
  }
  return LatencyHistogram.fromSparse({ layout: STANDARD_LAYOUT, indexes, counts, totalCount: arm.count, maxValue, countsArrayLength });
}

function splitAtChanges(model: TrafficModel, segments: readonly WeightSegment[]): WeightSegment[] {
  const out: WeightSegment[] = [];
  for (const segment of segments) {
    let from = segment.fromMs;
    for (const change of model.changes) {
      if (change.atMs <= from) continue;
      if (change.atMs >= segment.toMs) break;
      out.push({ ...segment, fromMs: from, toMs: change.atMs });
      from = change.atMs;
    }
    out.push({ ...segment, fromMs: from });
  }
  return out;
}
