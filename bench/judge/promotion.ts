import { parseTrafficModel, runSimulation, validateSpec, type RolloutSpec, type RolloutSpecInput, type TrafficModelInput } from '@sluice/core';

/**
 * Issue 16's measure: do healthy releases of good services get through on time? Whole rollouts of the default template
 * (three stages, every gate, the real machine) on an A/A canary — identical to its baseline — through `runSimulation`,
 * over a grid of base error rates × traffic levels, with three latency shapes rotating over the seeds.
 *
 * "On time" is the template's minimum durations + 10% (6 h 10 min → 6 h 47 min). There is no horizon that cuts a run
 * short in the rollouts' favour: a run ends completed, rolled back, or held (waiting for an operator, which is not on
 * time); the simulation horizon is 4× the template's minimum so that a stage may run to its maximum and beyond.
 */
export const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Latency shapes, all with a p90 far below the template's 2 s breaker (they are healthy services). */
export const LATENCY_SHAPES: ReadonlyArray<{ name: string; latencyMs: TrafficModelInput['baseline']['latencyMs'] }> = [
  { name: 'lognormal', latencyMs: { lognormal: { median: 40, sigma: 0.6 } } },
  { name: 'bimodal', latencyMs: { mixture: [{ weight: 0.8, lognormal: { median: 20, sigma: 0.3 } }, { weight: 0.2, lognormal: { median: 200, sigma: 0.4 } }] } },
  { name: 'heavy tail', latencyMs: { mixture: [{ weight: 0.97, lognormal: { median: 40, sigma: 0.5 } }, { weight: 0.03, lognormal: { median: 400, sigma: 1 } }] } },
];

export interface PromotionCell {
  errorRate: number;
  requestsPerSecond: number;
}

export interface RolloutRun {
  seed: number;
  shape: string;
  outcome: 'completed' | 'rolledBack' | 'held' | 'timedOut' | 'aborted';
  /** When the rollout ended (completed or rolled back) or the run stopped, ms from the start. */
  endedAtMs: number;
  /** When the rollback started, ms from the start, for rolled-back runs. */
  rollbackAtMs: number | null;
  /** Rollback cause (`gate`, `maxDuration`, `health`) and the stage, for rolled-back runs. */
  rollbackReason: string | null;
  rollbackGate: string | null;
  stage: string | null;
}

/** The default template spec; `semantics: 'before'` restores what specs meant before Judge II (for comparison). */
export function templateSpec(semantics: 'after' | 'before' = 'after'): RolloutSpec {
  const spec = validateSpec({ id: 'healthy', service: 'bench', baseline: 'a', candidate: 'b' } satisfies RolloutSpecInput);
  if (semantics === 'after') return spec;
  // Before Judge II: no passRule (pass only when shown), no margin floor, and a rollback at durationMax.
  return {
    ...spec,
    stages: spec.stages.map((stage) => ({
      ...stage,
      onMaxDuration: { action: 'rollback' as const },
      gates: stage.gates.map((gate) => {
        if (gate.kind !== 'compareErrorRate' && gate.kind !== 'compareLatency') return gate;
        const { passRule: _passRule, marginFloorPercent: _floor, ...old } = gate;
        return old as typeof gate;
      }),
    })),
  };
}

/** Minimum durations of the template's stages, ms (6 h 10 min). */
export function minimumDurationMs(spec: RolloutSpec): number {
  return spec.stages.reduce((sum, stage) => sum + stage.durationMin, 0);
}

/** A canary worse than its baseline from the start of the rollout: errors × errorMultiplier, latency × latencyMultiplier. */
export interface Regression {
  name: string;
  errorMultiplier: number;
  latencyMultiplier: number;
}

export const NO_REGRESSION: Regression = { name: 'A/A', errorMultiplier: 1, latencyMultiplier: 1 };

/**
 * One rollout: canary and baseline identical (the default), or the canary regressed from the start. `latencyBins` as
 * in runSimulation (0 = exact latencies).
 */
export function runHealthyRollout(spec: RolloutSpec, cell: PromotionCell, seed: number, latencyBins: number, regression: Regression = NO_REGRESSION): RolloutRun {
  const shape = LATENCY_SHAPES[seed % LATENCY_SHAPES.length]!;
  const arm = { errorRate: cell.errorRate, latencyMs: shape.latencyMs };
  const canary = { errorRate: Math.min(1, cell.errorRate * regression.errorMultiplier), latencyMs: shape.latencyMs };
  const horizonMs = 4 * minimumDurationMs(spec);
  const changes = regression.latencyMultiplier === 1 ? [] : [{ atMs: 0, arm: 'canary' as const, latencyMultiplier: regression.latencyMultiplier }];
  const model = parseTrafficModel({ seed, durationMs: horizonMs, requestsPerSecond: cell.requestsPerSecond, baseline: arm, canary, changes });
  const result = runSimulation(spec, model, { latencyBins });
  const rollback = result.decisions.find((d) => d.type === 'rollback.started');
  const held = result.decisions.findLast((d) => d.type === 'stage.held');
  const outcome =
    result.outcome === 'completed'
      ? 'completed'
      : result.outcome === 'rolled_back'
        ? 'rolledBack'
        : result.outcome === 'held' || (held && result.outcome === 'timed_out')
          ? 'held'
          : result.outcome === 'aborted'
            ? 'aborted'
            : 'timedOut';
  const rollbackData = rollback?.type === 'rollback.started' ? rollback.data : null;
  return {
    seed,
    shape: shape.name,
    outcome,
    endedAtMs: result.endedAtMs ?? horizonMs,
    rollbackAtMs: result.rollbackStartedAtMs,
    rollbackReason: rollbackData?.reason ?? null,
    rollbackGate: rollbackData?.gate ?? null,
    stage: rollbackData?.stage ?? (held?.type === 'stage.held' ? held.data.stage : null),
  };
}

export interface PromotionSummary {
  runs: number;
  completed: number;
  /** Completed within the template's minimum durations + 10%. */
  onTime: number;
  rolledBack: number;
  /** Rollbacks whose cause was missing evidence (maxDuration), not a fail verdict. */
  rolledBackForLackOfEvidence: number;
  held: number;
  other: number;
  /** Completion times of completed runs, ms: median, 95th percentile, max. */
  completionMsMedian: number | null;
  completionMsP95: number | null;
  completionMsMax: number | null;
  /** Rollbacks by "stage/gate or cause". */
  rollbackCauses: Record<string, number>;
}

export function summarizeRuns(runs: readonly RolloutRun[], onTimeMs: number): PromotionSummary {
  const completedTimes = runs.filter((r) => r.outcome === 'completed').map((r) => r.endedAtMs).sort((a, b) => a - b);
  const rolled = runs.filter((r) => r.outcome === 'rolledBack');
  const causes: Record<string, number> = {};
  for (const run of rolled) {
    const key = `${run.stage ?? '?'}/${run.rollbackGate ?? run.rollbackReason ?? '?'}`;
    causes[key] = (causes[key] ?? 0) + 1;
  }
  const at = (q: number) => (completedTimes.length ? completedTimes[Math.min(completedTimes.length - 1, Math.ceil(q * completedTimes.length) - 1)]! : null);
  return {
    runs: runs.length,
    completed: completedTimes.length,
    onTime: completedTimes.filter((t) => t <= onTimeMs).length,
    rolledBack: rolled.length,
    rolledBackForLackOfEvidence: rolled.filter((r) => r.rollbackReason === 'maxDuration').length,
    held: runs.filter((r) => r.outcome === 'held').length,
    other: runs.filter((r) => r.outcome === 'timedOut' || r.outcome === 'aborted').length,
    completionMsMedian: at(0.5),
    completionMsP95: at(0.95),
    completionMsMax: completedTimes.at(-1) ?? null,
    rollbackCauses: causes,
  };
}

/** "6 h 10 min" */
export function formatHours(ms: number | null): string {
  if (ms === null) return '—';
  const minutes = Math.round(ms / MINUTE);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
