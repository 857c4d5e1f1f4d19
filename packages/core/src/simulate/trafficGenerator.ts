import { createLatencyHistogram, encodeLatencyHistogram, latencyMsToUs, type LatencyHistogram } from '../histogram/index.js';
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
  histogram: LatencyHistogram;
}

function newArm(): ArmAccumulator {
  return { count: 0, errors: 0, histogram: createLatencyHistogram() };
}

function drawArm(random: Random, arm: ArmAccumulator, parameters: ArmParameters, requests: number, latencyBins: number): void {
  if (requests === 0) return;
  arm.count += requests;
  arm.errors += random.binomial(requests, parameters.errorRate);
  const histogram = arm.histogram;
  if (latencyBins > 0) {
    drawBinned(random, histogram, binValuesUs(parameters, latencyBins), requests);
    return;
  }
  for (let i = 0; i < requests; i++) {
    histogram.recordValue(latencyMsToUs(drawLatencyMs(random, parameters.latency, parameters.latencyMultiplier)));
  }
}

/** The bins' latencies (µs) of a distribution and multiplier, computed once per (components, multiplier, bins). */
const binCache = new WeakMap<readonly LatencyComponent[], Map<string, Float64Array>>();
function binValuesUs(parameters: ArmParameters, bins: number): Float64Array {
  let byKey = binCache.get(parameters.latency);
  if (!byKey) {
    byKey = new Map();
    binCache.set(parameters.latency, byKey);
  }
  const key = `${parameters.latencyMultiplier}/${bins}`;
  let values = byKey.get(key);
  if (!values) {
    values = new Float64Array(bins);
    for (let i = 0; i < bins; i++) values[i] = latencyMsToUs(latencyQuantileMs(parameters.latency, (i + 0.5) / bins, parameters.latencyMultiplier));
    byKey.set(key, values);
  }
  return values;
}

let binCounts = new Uint32Array(0);
function drawBinned(random: Random, histogram: LatencyHistogram, valuesUs: Float64Array, requests: number): void {
  const bins = valuesUs.length;
  if (binCounts.length < bins) binCounts = new Uint32Array(bins);
  const counts = binCounts;
  for (let i = 0; i < requests; i++) counts[Math.floor(random.next() * bins)]! += 1;
  for (let b = 0; b < bins; b++) {
    const count = counts[b]!;
    if (count === 0) continue;
    histogram.recordValueWithCount(valuesUs[b]!, count);
    counts[b] = 0;
  }
}

function closeArm(arm: ArmAccumulator): VariantWindow {
  if (arm.count === 0) return { count: 0, errors: 0, latencyHistogram: '' };
  return { count: arm.count, errors: arm.errors, latencyHistogram: encodeLatencyHistogram(arm.histogram) };
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
