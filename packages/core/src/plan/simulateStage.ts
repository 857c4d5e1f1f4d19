import type { GateContext } from '../judge/gate.js';
import { emptyTotals, type ComparativeTotals } from '../judge/comparativeEvidence.js';
import { foldComparativeWindow, judgeComparative, type ComparativeSettings } from '../judge/comparativeJudgment.js';
import { errorRateEvaluator, type ErrorRateState } from '../judge/errorRateGate.js';
import { initialRelativeRiskTest, onsetSlotOf, type RelativeRiskTestState } from '../judge/relativeRiskTest.js';
import type { NewInputEvent } from '../events/eventTypes.js';
import { createRandom, type Random } from '../simulate/prng.js';
import { latencyCdf, latencyQuantileMs } from '../simulate/latencyDistribution.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import type { PlannedTraffic } from './plannedTraffic.js';

/**
 * The plan's simulation of one stage: the same judge code the machine runs — the comparative gates' fold and verdict
 * (comparativeJudgment.ts) and the error-rate breakers' own evaluator — fed each window's sufficient statistics drawn
 * from their exact distributions: Poisson request counts per arm at the stage's weight, binomial errors, and binomial
 * counts of requests slower than each latency gate's threshold. One approximation, stated in the plan: a gate whose
 * threshold is the baseline's quantile uses the true quantile of the planned distribution, where the gate estimates it
 * from the baseline windows before each window. The latency breakers (they need whole histograms), the sample-ratio
 * check and health probes are taken as passing: the plan is about what the traffic can prove, not about faults.
 */
export interface StageScenario {
  /** Multiplies the canary's error rate (capped at 100%). */
  errorMultiplier: number;
  /** Multiplies every canary latency. */
  latencyMultiplier: number;
}

export const HEALTHY: StageScenario = { errorMultiplier: 1, latencyMultiplier: 1 };

export interface StageRun {
  /** `fail`: a gate failed (the stage rolls back or holds); `pass`: the stage passed; `max`: durationMax reached. */
  end: 'fail' | 'pass' | 'max';
  /** Time from the stage's start (its weight verified) to that end, ms. */
  atMs: number;
  /** The gate that failed, or for a pass whether every comparative gate had shown non-inferiority. */
  failedGate: string | null;
  passedByProof: boolean;
}

type ComparativeGate = Extract<GateConfig, { kind: 'compareErrorRate' | 'compareLatency' }>;
type ErrorRateGate = Extract<GateConfig, { kind: 'errorRate' }>;

interface ComparativeTrack {
  name: string;
  gate: ComparativeGate;
  /** Per-request probability of an event for baseline and canary: error rates, or the share over the threshold. */
  baselineShare: number;
  canaryShare: number;
  isLatency: boolean;
  test: RelativeRiskTestState;
  totals: ComparativeTotals;
}

/** The gates of a stage the plan simulates. */
export function plannedGatesOf(stage: StageSpec): { comparative: ComparativeGate[]; errorBreakers: ErrorRateGate[] } {
  return {
    comparative: stage.gates.filter((g): g is ComparativeGate => g.kind === 'compareErrorRate' || g.kind === 'compareLatency'),
    errorBreakers: stage.gates.filter((g): g is ErrorRateGate => g.kind === 'errorRate'),
  };
}

/** The latency threshold of a comparative latency gate under the planned traffic: fixed, or the baseline quantile. */
export function plannedThresholdMs(gate: Extract<GateConfig, { kind: 'compareLatency' }>, traffic: PlannedTraffic): number {
  return gate.thresholdMs ?? latencyQuantileMs(traffic.latency, gate.baselineQuantile);
}

/** Runs one stage `seeds` times; each run ends when the stage fails, passes, or reaches durationMax. */
export function simulateStage(stage: StageSpec, windowMs: number, traffic: PlannedTraffic, scenario: StageScenario, seeds: number, seed = 1): StageRun[] {
  const runs: StageRun[] = [];
  for (let i = 0; i < seeds; i++) runs.push(simulateOnce(stage, windowMs, traffic, scenario, createRandom((seed * 7919 + i) >>> 0)));
  return runs;
}

function simulateOnce(stage: StageSpec, windowMs: number, traffic: PlannedTraffic, scenario: StageScenario, random: Random): StageRun {
  const { comparative, errorBreakers } = plannedGatesOf(stage);
  const canaryErrorRate = Math.min(1, traffic.errorRate * scenario.errorMultiplier);
  const tracks: ComparativeTrack[] = comparative.map((gate) => {
    const isLatency = gate.kind === 'compareLatency';
    const threshold = gate.kind === 'compareLatency' ? plannedThresholdMs(gate, traffic) : 0;
    return {
      name: gate.name ?? gate.kind,
      gate,
      isLatency,
      baselineShare: isLatency ? 1 - latencyCdf(traffic.latency, threshold) : traffic.errorRate,
      canaryShare: isLatency ? 1 - latencyCdf(traffic.latency, threshold, scenario.latencyMultiplier) : canaryErrorRate,
      test: initialRelativeRiskTest(),
      totals: emptyTotals(),
    };
  });
  const context: GateContext = { stage, stageIndex: 0, stageEnteredAt: 0, weightAppliedPercent: stage.weightPercent, weightAppliedAt: 0, windowMs, stageElapsedMs: 0 };
  const breakerStates: ErrorRateState[] = errorBreakers.map((gate) => errorRateEvaluator.init(gate, context));
  const breakerPassing: boolean[] = errorBreakers.map(() => false);
  const share = stage.weightPercent / 100;
  const meanCanary = (traffic.requestsPerSecond * share * windowMs) / 1000;
  const meanBaseline = (traffic.requestsPerSecond * (1 - share) * windowMs) / 1000;
  let canarySamples = 0;
  for (let start = 0; start < stage.durationMax; start += windowMs) {
    const end = start + windowMs;
    const canaryCount = random.poisson(meanCanary);
    const baselineCount = random.poisson(meanBaseline);
    canarySamples += canaryCount;
    const canaryErrors = random.binomial(canaryCount, canaryErrorRate);
    const elapsedMs = end;
    for (const track of tracks) {
      const canaryEvents = track.isLatency ? random.binomial(canaryCount, track.canaryShare) : canaryErrors;
      const baselineEvents = random.binomial(baselineCount, track.baselineShare);
      const window = { onsetSlot: onsetSlotOf(start, 0), canaryCount, baselineCount, canaryEvents, baselineEvents };
      if (track.isLatency && baselineCount === 0 && canaryCount === 0) continue;
      const fold = foldComparativeWindow(track.test, track.totals, window, track.gate as ComparativeSettings);
      track.test = fold.test;
      track.totals = fold.totals;
    }
    const verdicts = tracks.map((t) => judgeComparative(t.test, t.totals, t.gate as ComparativeSettings, elapsedMs, stage.durationMin));
    const failedComparative = verdicts.findIndex((v) => v.verdict === 'fail');
    if (failedComparative >= 0) return { end: 'fail', atMs: end, failedGate: tracks[failedComparative]!.name, passedByProof: false };
    if (errorBreakers.length > 0) {
      const event = breakerWindow(start, end, canaryCount, canaryErrors);
      for (let index = 0; index < errorBreakers.length; index++) {
        const gate = errorBreakers[index]!;
        const observed = errorRateEvaluator.observe(gate, breakerStates[index]!, event, { ...context, stageElapsedMs: elapsedMs });
        if (!observed) continue;
        breakerStates[index] = observed.state;
        if (observed.result.verdict === 'fail') return { end: 'fail', atMs: end, failedGate: gate.name ?? 'errorRate', passedByProof: false };
        breakerPassing[index] = observed.result.verdict === 'pass';
      }
    }
    const passed =
      elapsedMs >= stage.durationMin && canarySamples >= stage.samplesMin && verdicts.every((v) => v.verdict === 'pass') && breakerPassing.every(Boolean);
    if (passed) return { end: 'pass', atMs: end, failedGate: null, passedByProof: verdicts.every((v) => v.passedBy === 'shown') };
  }
  return { end: 'max', atMs: stage.durationMax, failedGate: null, passedByProof: false };
}

function breakerWindow(start: number, end: number, count: number, errors: number): NewInputEvent {
  const empty = { count: 0, errors: 0, latencyHistogram: '' };
  return { type: 'samples.window', at: end, data: { windowStartAt: start, windowEndAt: end, baseline: empty, canary: { count, errors, latencyHistogram: '' } } };
}
