import { formatDurationMs } from '../duration.js';
import { latencyCdf } from '../simulate/latencyDistribution.js';
import type { GateConfig, RolloutSpec, StageSpec } from '../spec/specSchema.js';
import { gateNameOf } from '../spec/gateName.js';
import { isDetectable, smallestDetectable, timeToDetectMs } from '../judge/detectableEffect.js';
import type { PlannedTraffic } from './plannedTraffic.js';
import { HEALTHY, plannedGatesOf, plannedThresholdMs, simulateStage, type StageRun } from './simulateStage.js';

/**
 * `sluice plan`: what a rollout's traffic can prove, stage by stage, before it runs (docs/plan.md). Expected counts are
 * exact expectations; the smallest detectable regression and the "what would fix it" figures are analytic
 * (detectableEffect.ts: a normal approximation of the gates' e-process, 90% power); detection delays and the time for
 * a healthy release to pass are simulated with the judge's own code (simulateStage.ts), seeded, so the same plan
 * comes out every time. With `seeds: 0` only the analytic part is computed (what the daemon does at creation).
 */
export interface RegressionScenario {
  name: string;
  errorMultiplier: number;
  latencyMultiplier: number;
}

export const STANDARD_REGRESSIONS: readonly RegressionScenario[] = [
  { name: '2× errors', errorMultiplier: 2, latencyMultiplier: 1 },
  { name: '10× errors', errorMultiplier: 10, latencyMultiplier: 1 },
  { name: '1.3× latency', errorMultiplier: 1, latencyMultiplier: 1.3 },
  { name: '2× latency', errorMultiplier: 1, latencyMultiplier: 2 },
];

/** A comparative gate lets nothing less than this through unnoticed before the plan warns (error rate, latency). */
export const USEFUL_ERROR_MULTIPLIER = 10;
export const USEFUL_LATENCY_MULTIPLIER = 2;

export interface GatePlan {
  gate: string;
  kind: 'compareErrorRate' | 'compareLatency';
  /** Per-request probability of the gate's event in the baseline (error rate, or share slower than the threshold). */
  baselineEventShare: number;
  thresholdMs: number | null;
  /** Expected canary and baseline events over the stage's durationMin, for a healthy canary. */
  canaryEventsExpected: number;
  baselineEventsExpected: number;
  /**
   * Smallest multiplier of the canary's error rate (compareErrorRate) or latency (compareLatency) that the gate fails
   * within durationMin with 90% power; null when no regression up to 100× (errors: up to a 100% error rate) is.
   */
  smallestDetectableMultiplier: number | null;
}

export interface RegressionPlan extends RegressionScenario {
  /** Simulated: share of runs where a gate failed the stage before it passed or reached durationMax. */
  detectedShare: number | null;
  /** Simulated delay from the stage's start to the failure over detecting runs, ms (10th, 50th, 90th percentile). */
  delayMs: { p10: number; median: number; p90: number } | null;
  /** Analytic median time to detection, ms (no time limit); null when the stage's gates cannot detect it at all. */
  analyticDelayMs: number | null;
}

export interface HealthyPlan {
  runs: number;
  passedShare: number;
  /** Among passing runs: share where every comparative gate showed non-inferiority (the rest passed on "no harm"). */
  byProofShare: number;
  passMs: { median: number; p95: number } | null;
  /** Runs that reached durationMax without passing (the stage then holds, or rolls back if the spec says so). */
  maxShare: number;
  failedShare: number;
}

export interface StagePlan {
  stage: string;
  weightPercent: number;
  durationMinMs: number;
  durationMaxMs: number;
  samplesMin: number;
  canaryRequestsExpected: number;
  canaryErrorsExpected: number;
  gates: GatePlan[];
  regressions: RegressionPlan[];
  healthy: HealthyPlan | null;
  warnings: string[];
}

export interface RolloutPlan {
  traffic: { requestsPerSecond: number; errorRate: number; source: string };
  seeds: number;
  stages: StagePlan[];
  /** Every stage's warnings, each prefixed with its stage. */
  warnings: string[];
  method: string;
}

export interface PlanOptions {
  /** Simulated runs per scenario and stage; 0 computes only the analytic part. Default 100. */
  seeds?: number;
  seed?: number;
}

export const PLAN_SEEDS_MAX = 10_000;

export function planRollout(spec: RolloutSpec, traffic: PlannedTraffic, options: PlanOptions = {}): RolloutPlan {
  const seeds = Math.min(PLAN_SEEDS_MAX, Math.max(0, Math.floor(options.seeds ?? 100)));
  const stages = spec.stages.map((stage, index) => planStage(stage, spec.window, traffic, seeds, (options.seed ?? 1) + index * 1_000_003));
  return {
    traffic: { requestsPerSecond: traffic.requestsPerSecond, errorRate: traffic.errorRate, source: traffic.source },
    seeds,
    stages,
    warnings: stages.flatMap((s) => s.warnings.map((w) => `stage ${s.stage}: ${w}`)),
    method:
      'expected counts: exact; smallest detectable regression and fixes: analytic (normal approximation of the e-process, 90% power); ' +
      (seeds > 0 ? `delays and healthy pass times: simulated with the judge's code, ${seeds} seeded runs per scenario (latency gates use the true baseline quantile)` : 'no simulation (seeds 0)'),
  };
}

function planStage(stage: StageSpec, windowMs: number, traffic: PlannedTraffic, seeds: number, seed: number): StagePlan {
  const share = stage.weightPercent / 100;
  const canaryRequestsExpected = (traffic.requestsPerSecond * share * stage.durationMin) / 1000;
  const { comparative } = plannedGatesOf(stage);
  const gates = comparative.map((gate) => planGate(gate, stage, traffic));
  const regressions = STANDARD_REGRESSIONS.map((scenario, i) => planRegression(scenario, stage, windowMs, traffic, seeds, seed + i + 1));
  const healthy = seeds > 0 && stage.weightPercent < 100 ? summarizeHealthy(simulateStage(stage, windowMs, traffic, HEALTHY, seeds, seed)) : null;
  const plan: StagePlan = {
    stage: stage.name,
    weightPercent: stage.weightPercent,
    durationMinMs: stage.durationMin,
    durationMaxMs: stage.durationMax,
    samplesMin: stage.samplesMin,
    canaryRequestsExpected,
    canaryErrorsExpected: canaryRequestsExpected * traffic.errorRate,
    gates,
    regressions,
    healthy,
    warnings: [],
  };
  plan.warnings = stageWarnings(plan, stage, traffic);
  return plan;
}

function comparativeSettings(gate: Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>) {
  return { tolerance: gate.tolerance, alpha: gate.alpha };
}

function baselineShareOf(gate: Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>, traffic: PlannedTraffic): { share: number; thresholdMs: number | null } {
  if (gate.kind === 'compareErrorRate') return { share: traffic.errorRate, thresholdMs: null };
  const thresholdMs = plannedThresholdMs(gate, traffic);
  return { share: 1 - latencyCdf(traffic.latency, thresholdMs), thresholdMs };
}

/** The canary's relative risk for a gate when its errors are × errorMultiplier and its latency × latencyMultiplier. */
function rhoOf(gate: Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>, traffic: PlannedTraffic, errorMultiplier: number, latencyMultiplier: number): number {
  const { share, thresholdMs } = baselineShareOf(gate, traffic);
  if (share <= 0) return 1;
  if (gate.kind === 'compareErrorRate') return Math.min(1, traffic.errorRate * errorMultiplier) / share;
  return (1 - latencyCdf(traffic.latency, thresholdMs!, latencyMultiplier)) / share;
}

function planGate(gate: Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>, stage: StageSpec, traffic: PlannedTraffic): GatePlan {
  const share = stage.weightPercent / 100;
  const { share: baselineEventShare, thresholdMs } = baselineShareOf(gate, traffic);
  const requests = (traffic.requestsPerSecond * stage.durationMin) / 1000;
  const { tolerance, alpha } = comparativeSettings(gate);
  const detects = (multiplier: number): boolean =>
    baselineEventShare > 0 &&
    isDetectable(traffic.requestsPerSecond, stage.durationMin, share, baselineEventShare, rhoOf(gate, traffic, gate.kind === 'compareErrorRate' ? multiplier : 1, gate.kind === 'compareLatency' ? multiplier : 1), tolerance, alpha);
  const highest = gate.kind === 'compareErrorRate' ? (traffic.errorRate > 0 ? Math.min(100, 1 / traffic.errorRate) : 1) : 100;
  return {
    gate: gateNameOf(gate),
    kind: gate.kind,
    baselineEventShare,
    thresholdMs,
    canaryEventsExpected: requests * share * baselineEventShare,
    baselineEventsExpected: requests * (1 - share) * baselineEventShare,
    smallestDetectableMultiplier: share > 0 && share < 1 ? smallestDetectable(detects, 1.0001, highest) : null,
  };
}

function planRegression(scenario: RegressionScenario, stage: StageSpec, windowMs: number, traffic: PlannedTraffic, seeds: number, seed: number): RegressionPlan {
  const share = stage.weightPercent / 100;
  let analytic = Infinity;
  for (const gate of stage.gates) {
    if (gate.kind !== 'compareErrorRate' && gate.kind !== 'compareLatency') continue;
    const { share: baselineShare } = baselineShareOf(gate, traffic);
    if (baselineShare <= 0 || share <= 0 || share >= 1) continue;
    const rho = rhoOf(gate, traffic, scenario.errorMultiplier, scenario.latencyMultiplier);
    analytic = Math.min(analytic, timeToDetectMs(traffic.requestsPerSecond, share, baselineShare, rho, gate.tolerance, gate.alpha, 0.5));
  }
  const base: RegressionPlan = { ...scenario, detectedShare: null, delayMs: null, analyticDelayMs: Number.isFinite(analytic) ? analytic : null };
  if (seeds === 0 || share >= 1) return base;
  const runs = simulateStage(stage, windowMs, traffic, { errorMultiplier: scenario.errorMultiplier, latencyMultiplier: scenario.latencyMultiplier }, seeds, seed);
  const delays = runs.filter((r) => r.end === 'fail').map((r) => r.atMs).sort((a, b) => a - b);
  return {
    ...base,
    detectedShare: runs.length ? delays.length / runs.length : 0,
    delayMs: delays.length ? { p10: quantile(delays, 0.1), median: quantile(delays, 0.5), p90: quantile(delays, 0.9) } : null,
  };
}

function summarizeHealthy(runs: StageRun[]): HealthyPlan {
  const passes = runs.filter((r) => r.end === 'pass');
  const times = passes.map((r) => r.atMs).sort((a, b) => a - b);
  return {
    runs: runs.length,
    passedShare: passes.length / runs.length,
    byProofShare: passes.length ? passes.filter((r) => r.passedByProof).length / passes.length : 0,
    passMs: times.length ? { median: quantile(times, 0.5), p95: quantile(times, 0.95) } : null,
    maxShare: runs.filter((r) => r.end === 'max').length / runs.length,
    failedShare: runs.filter((r) => r.end === 'fail').length / runs.length,
  };
}

/** Warnings with what would fix them: a longer stage, a higher weight, or more traffic (analytic). */
function stageWarnings(plan: StagePlan, stage: StageSpec, traffic: PlannedTraffic): string[] {
  const warnings: string[] = [];
  const share = stage.weightPercent / 100;
  const rate = `${formatRate(traffic.requestsPerSecond * share)} canary requests/s`;
  if (share > 0 && plan.canaryRequestsExpected < stage.samplesMin) {
    const neededMs = (stage.samplesMin / (traffic.requestsPerSecond * share)) * 1000;
    warnings.push(
      `expects ${formatCount(plan.canaryRequestsExpected)} canary requests in its minimum duration ${formatDurationMs(stage.durationMin)}, fewer than its samplesMin ${stage.samplesMin}: ` +
        `it cannot pass before ~${formatDurationMs(roundUpDuration(neededMs))}${neededMs > stage.durationMax ? ` and reaches durationMax (${formatDurationMs(stage.durationMax)}) first` : ''}; ` +
        `lower samplesMin, lengthen the stage or raise its weight`,
    );
  }
  for (const gate of plan.gates) {
    const target = gate.kind === 'compareErrorRate' ? USEFUL_ERROR_MULTIPLIER : USEFUL_LATENCY_MULTIPLIER;
    const what = gate.kind === 'compareErrorRate' ? 'error-rate' : 'latency';
    const mde = gate.smallestDetectableMultiplier;
    if (mde !== null && mde <= target) continue;
    const gateConfig = stage.gates.find((g) => gateNameOf(g) === gate.gate) as Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>;
    const article = what === 'error-rate' ? 'an' : 'a';
    const largest = gate.kind === 'compareErrorRate' ? (traffic.errorRate > 0 ? formatMultiplier(Math.min(100, 1 / traffic.errorRate)) : 'any') : '100×';
    const found = mde === null ? `cannot detect even ${largest === 'any' ? 'any' : `a ${largest}`} ${what} regression` : `cannot detect ${article} ${what} regression smaller than ${formatMultiplier(mde)}`;
    const fixes = fixesFor(gateConfig, stage, traffic, target);
    warnings.push(
      `${gate.gate} ${found} within ${formatDurationMs(stage.durationMin)} at ${rate} (${formatCount(gate.canaryEventsExpected)} canary ${gate.kind === 'compareErrorRate' ? 'errors' : 'slow requests'} expected); ` +
        `to detect ${formatMultiplier(target)}: ${fixes}`,
    );
  }
  if (plan.healthy && plan.healthy.maxShare + plan.healthy.failedShare > 0.05) {
    warnings.push(
      `a healthy release does not pass by durationMax (${formatDurationMs(stage.durationMax)}) in ${formatShare(plan.healthy.maxShare)} of simulated runs` +
        `${plan.healthy.failedShare > 0 ? ` and fails in ${formatShare(plan.healthy.failedShare)}` : ''}`,
    );
  }
  return warnings;
}

function fixesFor(gate: Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>, stage: StageSpec, traffic: PlannedTraffic, target: number): string {
  const share = stage.weightPercent / 100;
  const rho = rhoOf(gate, traffic, gate.kind === 'compareErrorRate' ? target : 1, gate.kind === 'compareLatency' ? target : 1);
  const { share: baselineShare } = baselineShareOf(gate, traffic);
  if (baselineShare <= 0 || !(rho > 1 + gate.tolerance)) return `not possible with tolerance ${gate.tolerance} (a ${formatMultiplier(target)} regression is within it, or the baseline has no such events)`;
  const fixes: string[] = [];
  if (share > 0 && share < 1) {
    const durationMs = timeToDetectMs(traffic.requestsPerSecond, share, baselineShare, rho, gate.tolerance, gate.alpha);
    if (Number.isFinite(durationMs)) fixes.push(`durationMin ≥ ${formatDurationMs(roundUpDuration(durationMs))}`);
    const rps = (traffic.requestsPerSecond * durationMs) / stage.durationMin;
    if (Number.isFinite(rps)) fixes.push(`or ≥ ${formatRate(rps)} requests/s`);
  }
  for (const weight of [2, 5, 10, 20, 50]) {
    if (weight <= stage.weightPercent) continue;
    if (isDetectable(traffic.requestsPerSecond, stage.durationMin, weight / 100, baselineShare, rho, gate.tolerance, gate.alpha)) {
      fixes.push(`or weightPercent ≥ ${weight}`);
      break;
    }
  }
  return fixes.join(' ') || 'no setting of this stage reaches it';
}

function roundUpDuration(ms: number): number {
  const minute = 60_000;
  return ms < 60 * minute ? Math.ceil(ms / minute) * minute : Math.ceil(ms / (15 * minute)) * 15 * minute;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function formatMultiplier(m: number): string {
  return `${m >= 10 ? Math.round(m) : Number(m.toPrecision(2))}×`;
}

function formatRate(r: number): string {
  return r >= 10 ? `${Math.round(r)}` : `${Number(r.toPrecision(2))}`;
}

function formatCount(n: number): string {
  return n >= 100 ? `${Math.round(n).toLocaleString('en-US')}` : `${Number(n.toPrecision(2))}`;
}

function formatShare(s: number): string {
  return `${(100 * s).toFixed(s < 0.1 ? 1 : 0)}%`;
}
