import { decodeLatencyHistogram, latencyQuantileMs, mergeHistograms, type AnyStoredEvent, type LatencyHistogram, type RolloutSpec } from '@sluice/core/replay';
import { iso } from '../cli/audit/entryText.js';
import { round4 } from './roundValue.js';
import type { StageBand, StageRow, VariantStats, WeightSteps, WindowSeries } from './reportTypes.js';

/** Histograms decoded but not yet merged into their stage's total; merging in batches bounds memory on long stages. */
const MERGE_BATCH = 64;
export const STAGE_QUANTILES = [0.5, 0.95, 0.99, 0.999] as const;

/** Called for every window with its decoded histograms, before they are merged away (gate series count slow requests). */
export type WindowVisitor = (index: number, at: number, canary: LatencyHistogram, baseline: LatencyHistogram) => void;

export interface RecordedFold {
  spec: RolloutSpec;
  createdAt: number;
  lastEventAt: number;
  events: number;
  stages: StageBand[];
  weights: WeightSteps;
  windows: WindowSeries;
  stageTable: StageRow[];
}

interface StageAccumulator {
  band: StageBand;
  windows: number;
  canary: VariantAccumulator;
  baseline: VariantAccumulator;
}

interface VariantAccumulator {
  requests: number;
  errors: number;
  merged: LatencyHistogram | null;
  batch: LatencyHistogram[];
}

/**
 * One pass over a rollout's stored events, in position order: the per-window series (counts and latency quantiles),
 * the stage bands, the desired and verified weight steps, and the per-stage table (requests, errors, quantiles of the
 * stage's merged histograms, time in stage). It reads what was recorded; nothing here re-judges. A window belongs to the
 * stage in force when it was logged; windows logged after a rollback started belong to the "rollback" row.
 */
export function foldRecorded(events: Iterable<AnyStoredEvent>, quantiles: readonly number[], visit?: WindowVisitor): RecordedFold | null {
  let spec: RolloutSpec | null = null;
  let createdAt = 0;
  let lastEventAt = 0;
  let count = 0;
  const accumulators: StageAccumulator[] = [];
  let current: StageAccumulator | null = null;
  const weights: WeightSteps = { desired: [], verified: [] };
  const verifiedGenerations = new Set<number>();
  const windows: WindowSeries = {
    at: [], canaryCount: [], canaryErrors: [], baselineCount: [], baselineErrors: [], quantiles: [...quantiles],
    canaryLatencyMs: quantiles.map(() => []), baselineLatencyMs: quantiles.map(() => []),
  };
  const enter = (index: number, name: string, weightPercent: number, at: number): void => {
    if (current) current.band.toAt = at;
    current = { band: { index, name, weightPercent, fromAt: at, toAt: at }, windows: 0, canary: emptyVariant(), baseline: emptyVariant() };
    accumulators.push(current);
  };
  let ended = false;

  for (const event of events) {
    if (count === 0) createdAt = event.at;
    count += 1;
    lastEventAt = event.at;
    switch (event.type) {
      case 'rollout.created':
        spec = event.data.spec;
        break;
      case 'stage.entered':
        enter(event.data.index, event.data.stage, event.data.weightPercent, event.at);
        break;
      case 'rollback.started':
        enter(-1, 'rollback', 0, event.at);
        break;
      case 'completed':
      case 'aborted':
      case 'rollback.completed':
        if (current) (current as StageAccumulator).band.toAt = event.at;
        ended = true;
        break;
      case 'weight.desired':
        weights.desired.push([event.at, event.data.weightPercent]);
        break;
      case 'weight.applied':
        // A read-back of a generation already verified is not a step.
        if (!verifiedGenerations.has(event.data.generation)) {
          verifiedGenerations.add(event.data.generation);
          weights.verified.push([event.at, event.data.weightPercent]);
        }
        break;
      case 'samples.window': {
        const index = windows.at.length;
        const { canary, baseline } = event.data;
        windows.at.push(event.at);
        windows.canaryCount.push(canary.count);
        windows.canaryErrors.push(canary.errors);
        windows.baselineCount.push(baseline.count);
        windows.baselineErrors.push(baseline.errors);
        const canaryHistogram = decodeLatencyHistogram(canary.latencyHistogram);
        const baselineHistogram = decodeLatencyHistogram(baseline.latencyHistogram);
        quantiles.forEach((q, k) => {
          windows.canaryLatencyMs[k]!.push(round4(latencyQuantileMs(canaryHistogram, q)));
          windows.baselineLatencyMs[k]!.push(round4(latencyQuantileMs(baselineHistogram, q)));
        });
        visit?.(index, event.at, canaryHistogram, baselineHistogram);
        const stage = current as StageAccumulator | null;
        if (stage) {
          stage.windows += 1;
          addWindow(stage.canary, canary.count, canary.errors, canaryHistogram);
          addWindow(stage.baseline, baseline.count, baseline.errors, baselineHistogram);
        }
        break;
      }
      default:
        break;
    }
  }
  if (spec === null) return null;
  const last = current as StageAccumulator | null;
  if (last && !ended) last.band.toAt = lastEventAt;
  return {
    spec,
    createdAt,
    lastEventAt,
    events: count,
    stages: accumulators.map((a) => a.band),
    weights,
    windows,
    stageTable: accumulators.map(stageRow),
  };
}

function emptyVariant(): VariantAccumulator {
  return { requests: 0, errors: 0, merged: null, batch: [] };
}

function addWindow(variant: VariantAccumulator, count: number, errors: number, histogram: LatencyHistogram): void {
  variant.requests += count;
  variant.errors += errors;
  if (histogram.totalCount === 0) return;
  variant.batch.push(histogram);
  if (variant.batch.length >= MERGE_BATCH) flush(variant);
}

function flush(variant: VariantAccumulator): void {
  if (variant.batch.length === 0) return;
  variant.merged = mergeHistograms(variant.merged ? [variant.merged, ...variant.batch] : variant.batch);
  variant.batch = [];
}

function stageRow(accumulator: StageAccumulator): StageRow {
  const { band } = accumulator;
  return {
    stage: band.name,
    index: band.index,
    weightPercent: band.weightPercent,
    enteredAt: iso(band.fromAt),
    timeInStageMs: band.toAt - band.fromAt,
    windows: accumulator.windows,
    canary: variantStats(accumulator.canary),
    baseline: variantStats(accumulator.baseline),
  };
}

function variantStats(variant: VariantAccumulator): VariantStats {
  flush(variant);
  const quantile = (q: number): number | null => (variant.merged === null ? null : round4(latencyQuantileMs(variant.merged, q)));
  return {
    requests: variant.requests,
    errors: variant.errors,
    errorRatePercent: variant.requests === 0 ? null : round4((100 * variant.errors) / variant.requests),
    latencyMsP50: quantile(STAGE_QUANTILES[0]),
    latencyMsP95: quantile(STAGE_QUANTILES[1]),
    latencyMsP99: quantile(STAGE_QUANTILES[2]),
    latencyMsP999: quantile(STAGE_QUANTILES[3]),
  };
}

/** The per-stage table alone, for `sluice audit --json` (`stages`): the same rows the report shows. */
export function stageTableOf(events: Iterable<AnyStoredEvent>): StageRow[] {
  return foldRecorded(events, [])?.stageTable ?? [];
}
