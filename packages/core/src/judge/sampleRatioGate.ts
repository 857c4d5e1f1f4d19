import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { logBeta } from './logGamma.js';
import { formatPercent, isMixedWeightWindow, oncePerGateConfig, percentOf, roundForEvidence } from './windowStats.js';

type SampleRatioConfig = Extract<GateConfig, { kind: 'sampleRatio' }>;

/**
 * Sequential sample-ratio-mismatch test (Lindon & Malek, "Anytime-valid inference for multinomial count data", 2022):
 * with two arms, the Dirichlet-multinomial Bayes factor is the beta-binomial one,
 *   BF = B(a + x_c, b + x_b) / B(a, b) / (w^x_c (1 − w)^x_b),   a = k·w, b = k·(1 − w),
 * for x_c canary and x_b baseline requests when the canary should get share w. Under H0 (the router sends share w) BF
 * is a martingale, so P(ever BF ≥ 1/α) ≤ α. When the weight in force changes within a stage, the running Bayes
 * factor is frozen and multiplied by a fresh one for the new weight (a product of martingales started in sequence is
 * still a martingale).
 *
 * Only windows that started after the weight in force was verified are used; mixed windows are skipped and say so.
 * Verdict: `fail` (mismatch: the machine blocks judgment) once BF crosses 1/α; `pass` once at least one usable window
 * has been seen without a mismatch; `inconclusive` before that.
 */
const PRIOR_CONCENTRATION = 100;

export interface SampleRatioState {
  logFrozen: number;
  segmentWeightPercent: number | null;
  segmentCanary: number;
  segmentBaseline: number;
  canaryCount: number;
  baselineCount: number;
  windowsUsed: number;
  windowsSkipped: number;
  rejected: boolean;
  logBayesFactorMax: number;
}

/** The bound 1/α as the evidence reports it, the same for every window. */
const boundsOf = oncePerGateConfig((gate: SampleRatioConfig) => ({
  boundRounded: roundForEvidence(1 / gate.alpha),
  logBoundRounded: roundForEvidence(Math.log(1 / gate.alpha)),
}));

export const sampleRatioEvaluator: GateEvaluator<SampleRatioState> = {
  kind: 'sampleRatio',
  init: () => ({
    logFrozen: 0,
    segmentWeightPercent: null,
    segmentCanary: 0,
    segmentBaseline: 0,
    canaryCount: 0,
    baselineCount: 0,
    windowsUsed: 0,
    windowsSkipped: 0,
    rejected: false,
    logBayesFactorMax: 0,
  }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as SampleRatioConfig;
    const weight = context.weightAppliedPercent;
    const mixedWeight = isMixedWeightWindow(event.data, context);
    let next: SampleRatioState;
    let logBF: number;
    if (weight === null || mixedWeight) {
      next = { ...state, windowsSkipped: state.windowsSkipped + 1 };
      logBF = next.segmentWeightPercent === null ? 0 : next.logFrozen + segmentLogBayesFactor(next.segmentWeightPercent, next.segmentCanary, next.segmentBaseline);
    } else {
      const sameSegment = state.segmentWeightPercent === weight;
      const logFrozen =
        sameSegment || state.segmentWeightPercent === null
          ? state.logFrozen
          : state.logFrozen + segmentLogBayesFactor(state.segmentWeightPercent, state.segmentCanary, state.segmentBaseline);
      const segmentCanary = (sameSegment ? state.segmentCanary : 0) + event.data.canary.count;
      const segmentBaseline = (sameSegment ? state.segmentBaseline : 0) + event.data.baseline.count;
      logBF = logFrozen + segmentLogBayesFactor(weight, segmentCanary, segmentBaseline);
      next = {
        logFrozen,
        segmentWeightPercent: weight,
        segmentCanary,
        segmentBaseline,
        canaryCount: state.canaryCount + event.data.canary.count,
        baselineCount: state.baselineCount + event.data.baseline.count,
        windowsUsed: state.windowsUsed + 1,
        windowsSkipped: state.windowsSkipped,
        rejected: state.rejected || logBF >= Math.log(1 / gate.alpha),
        logBayesFactorMax: Math.max(state.logBayesFactorMax, logBF),
      };
    }
    const verdict = next.rejected ? 'fail' : next.windowsUsed > 0 && next.canaryCount + next.baselineCount > 0 ? 'pass' : 'inconclusive';
    const observed = percentOf(next.canaryCount, next.canaryCount + next.baselineCount);
    const skipped = next.windowsSkipped > 0 ? `; ${next.windowsSkipped} window(s) skipped (weight not verified yet or mixed)` : '';
    const bounds = boundsOf(gate);
    const conclusion = verdict === 'fail' ? 'sample ratio mismatch: the router is not sending the weight in force' : verdict === 'pass' ? 'consistent with the weight in force' : 'no usable window yet';
    return {
      state: next,
      result: {
        verdict,
        evidence: {
          summary: `observed canary share ${formatPercent(observed)} (${next.canaryCount}/${next.canaryCount + next.baselineCount}) vs weight ${weight ?? 'unverified'}%: ${conclusion}${skipped}`,
          canaryCount: next.canaryCount,
          baselineCount: next.baselineCount,
          observedSharePercent: observed === null ? null : roundForEvidence(observed),
          weightPercent: weight,
          statistic: 'beta-binomial Bayes factor (Lindon & Malek)',
          logBayesFactor: roundForEvidence(logBF),
          logBayesFactorMax: roundForEvidence(next.logBayesFactorMax),
          bound: bounds.boundRounded,
          logBound: bounds.logBoundRounded,
          alpha: gate.alpha,
          windowsUsed: next.windowsUsed,
          windowsSkipped: next.windowsSkipped,
          mixedWeight,
        },
      },
    };
  },
};

/**
 * log BF of a segment at `weight` percent with `x` canary and `y` baseline requests; weights of 0 or 100% make any traffic to the other arm a certain mismatch, reported
 * as a log Bayes factor of LOG_BAYES_FACTOR_CERTAIN (events must stay finite JSON).
 */
const LOG_BAYES_FACTOR_CERTAIN = 1e6;
function segmentLogBayesFactor(weight: number, x: number, y: number): number {
  if (weight <= 0) return x > 0 ? LOG_BAYES_FACTOR_CERTAIN : 0;
  if (weight >= 100) return y > 0 ? LOG_BAYES_FACTOR_CERTAIN : 0;
  const w = weight / 100;
  const a = PRIOR_CONCENTRATION * w;
  const b = PRIOR_CONCENTRATION * (1 - w);
  return logBeta(a + x, b + y) - logBeta(a, b) - x * Math.log(w) - y * Math.log(1 - w);
}
