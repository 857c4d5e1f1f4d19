import { runSimulation } from '@sluice/core';
import { parseTrafficModel, type TrafficModelInput } from '@sluice/core';
import { DEFAULT_STAGES } from '@sluice/core';
import { validateSpec } from '@sluice/core';
import type { RolloutSpecInput } from '@sluice/core';

/**
 * End-to-end runs through `runSimulation`: real windows (every request's latency in an HdrHistogram), the real machine
 * and the real gates of the default template, including the estimated latency threshold and the circuit breakers.
 * Slower than the fast path, so fewer seeds; they check that the fast path's numbers hold for the whole system.
 */
const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });

export interface EndToEndSummary {
  runs: number;
  rolledBack: number;
  /** Median time from the start to the rollback, over the runs that rolled back, ms. */
  rollbackAtMsMedian: number | null;
  /** Runs whose rollback started at the end of the first judged window. */
  withinOneWindow: number;
  withinTwoWindows: number;
  withinThreeWindows: number;
}

export function runEndToEnd(spec: RolloutSpecInput, model: Omit<TrafficModelInput, 'seed'>, seeds: number): EndToEndSummary {
  const validated = validateSpec(spec);
  const times: number[] = [];
  let withinOneWindow = 0;
  let withinTwoWindows = 0;
  let withinThreeWindows = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runSimulation(validated, parseTrafficModel({ ...model, seed }));
    if (result.rollbackStartedAtMs === null) continue;
    times.push(result.rollbackStartedAtMs);
    if (result.rollbackStartedAtMs <= validated.window) withinOneWindow += 1;
    if (result.rollbackStartedAtMs <= 2 * validated.window) withinTwoWindows += 1;
    if (result.rollbackStartedAtMs <= 3 * validated.window) withinThreeWindows += 1;
  }
  times.sort((a, b) => a - b);
  return { runs: seeds, rolledBack: times.length, rollbackAtMsMedian: times.length ? times[Math.floor((times.length - 1) / 2)]! : null, withinOneWindow, withinTwoWindows, withinThreeWindows };
}

/**
 * The default template (all three stages, every gate), with its error and latency breakers at `confidence` — 0 is
 * the observed-value judgment they had before the significance test — or as the template sets it when undefined.
 */
export function defaultTemplateSpec(id: string, confidence?: number): RolloutSpecInput {
  const stages = DEFAULT_STAGES.map((stage) => ({
    ...stage,
    gates: stage.gates?.map((gate) => (confidence !== undefined && (gate.kind === 'errorRate' || gate.kind === 'latency') ? { ...gate, confidence } : gate)),
  }));
  return { id, service: 'bench', baseline: 'a', candidate: 'b', stages };
}

/** The default template's canary stage gates at another weight (one stage), for the catastrophic check at 10%. */
export function defaultCanaryGatesAt(id: string, weightPercent: number): RolloutSpecInput {
  return {
    id,
    service: 'bench',
    baseline: 'a',
    candidate: 'b',
    stages: [
      {
        name: 'canary',
        weightPercent,
        durationMin: '2h',
        gates: [
          { kind: 'errorRate', maxPercent: 20, samplesMin: 20 },
          { kind: 'latency', quantile: 0.9, maxMs: 2_000, samplesMin: 50 },
          { kind: 'compareErrorRate', alpha: 0.01, tolerance: 2 },
          { kind: 'compareLatency', alpha: 0.01, tolerance: 0.5, baselineQuantile: 0.95 },
        ],
      },
    ],
  };
}

/** A one-stage spec with the default template's ramp gates (10% for 2 h), for A/A and regression checks. */
export function rampOnlySpec(id: string): RolloutSpecInput {
  return {
    id,
    service: 'bench',
    baseline: 'a',
    candidate: 'b',
    stages: [
      {
        name: 'ramp',
        weightPercent: 10,
        durationMin: '2h',
        durationMax: '2h',
        gates: [
          { kind: 'errorRate', maxPercent: 20, samplesMin: 20 },
          { kind: 'latency', quantile: 0.9, maxMs: 2_000, samplesMin: 50 },
          { kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3 },
          { kind: 'compareLatency', alpha: 0.01, tolerance: 0.3, baselineQuantile: 0.95 },
        ],
      },
    ],
  };
}

export const CATASTROPHIC_MODEL: Omit<TrafficModelInput, 'seed'> = { durationMs: 600_000, requestsPerSecond: 200, baseline: arm(0.01), canary: arm(0.5) };
export const AA_MODEL: Omit<TrafficModelInput, 'seed'> = { durationMs: 7_200_000, requestsPerSecond: 200, baseline: arm(0.01), canary: arm(0.01) };
export const REGRESSION_MODEL: Omit<TrafficModelInput, 'seed'> = {
  durationMs: 7_200_000,
  requestsPerSecond: 200,
  baseline: arm(0.01),
  canary: arm(0.01),
  changes: [{ atMs: 600_000, arm: 'canary', errorRate: 0.02 }],
};
/** A dependency outage in both arms: 0.1% errors, then 5% from 15 min on, for the 2 h canary stage. */
export const SHARED_INCIDENT_MODEL: Omit<TrafficModelInput, 'seed'> = {
  durationMs: 7_200_000,
  requestsPerSecond: 200,
  baseline: arm(0.001),
  canary: arm(0.001),
  changes: [{ atMs: 900_000, arm: 'both', errorRate: 0.05 }],
};
