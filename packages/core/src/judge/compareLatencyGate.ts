import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { addBaselineWindow, baselineQuantileMs, emptyBaselineQuantile, type BaselineQuantileEstimate } from './baselineQuantile.js';
import { comparativeEvidence, emptyTotals, type ComparativeTotals } from './comparativeEvidence.js';
import { foldComparativeWindow, judgeComparative } from './comparativeJudgment.js';
import { initialRelativeRiskTest, onsetSlotOf, type RelativeRiskTestState } from './relativeRiskTest.js';
import { sparseCountSlowerThanMs } from '../histogram/index.js';
import { isMixedWeightWindow, oncePerGateConfig, roundForEvidence, windowHistogram } from './windowStats.js';

type CompareLatencyConfig = Extract<GateConfig, { kind: 'compareLatency' }>;

/**
 * Sequential canary-vs-baseline test on the share of slow requests, with the same test as the error-rate gate
 * (relativeRiskTest.ts) applied to "slower than the threshold" counts.
 *
 * The threshold is `thresholdMs` when given. Otherwise it is the `baselineQuantile` of the baseline latencies seen in
 * this stage *before* the window being judged (baselineQuantile.ts): it never depends on the window it judges, so each
 * window's likelihood ratio still has conditional mean ≤ 1 under H0 ("at the threshold used, the canary's slow share
 * is at most (1 + tolerance) × the baseline's") and the test stays valid although the threshold is estimated. Until
 * the baseline has `ceil(10 / (1 − q))` samples the threshold is not set and windows only feed the estimate.
 */
export interface CompareLatencyState {
  test: RelativeRiskTestState;
  totals: ComparativeTotals;
  baselineEstimate: BaselineQuantileEstimate;
  lastThresholdMs: number | null;
  /** The not-worse side's boundary for the last judged window (1 + tolerance, or higher with the absolute floor). */
  notWorseBoundaryRho: number;
}

/** Where the threshold comes from, as the evidence says it. */
const thresholdSourceOf = oncePerGateConfig((gate: CompareLatencyConfig) =>
  gate.thresholdMs !== undefined ? 'fixed' : `baseline p${roundForEvidence(gate.baselineQuantile * 100, 4)} before this window`,
);

export const compareLatencyEvaluator: GateEvaluator<CompareLatencyState> = {
  kind: 'compareLatency',
  init: (config) => ({
    test: initialRelativeRiskTest(),
    totals: emptyTotals(),
    baselineEstimate: emptyBaselineQuantile(),
    lastThresholdMs: null,
    notWorseBoundaryRho: 1 + (config as CompareLatencyConfig).tolerance,
  }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as CompareLatencyConfig;
    const { canary, baseline } = event.data;
    const thresholdMs = gate.thresholdMs ?? baselineQuantileMs(state.baselineEstimate);
    const baselineHistogram = baseline.count > 0 ? windowHistogram(baseline) : null;
    let { test, totals, notWorseBoundaryRho } = state;
    if (thresholdMs !== null) {
      const window = {
        onsetSlot: onsetSlotOf(event.data.windowStartAt, context.stageEnteredAt),
        canaryCount: canary.count,
        baselineCount: baseline.count,
        canaryEvents: canary.count > 0 ? sparseCountSlowerThanMs(windowHistogram(canary), thresholdMs) : 0,
        baselineEvents: baselineHistogram ? sparseCountSlowerThanMs(baselineHistogram, thresholdMs) : 0,
      };
      ({ test, totals, notWorseBoundaryRho } = foldComparativeWindow(test, totals, window, gate));
    }
    const next: CompareLatencyState = {
      test,
      totals,
      notWorseBoundaryRho,
      baselineEstimate:
        gate.thresholdMs === undefined && baselineHistogram ? addBaselineWindow(state.baselineEstimate, baselineHistogram, baseline.count, gate.baselineQuantile) : state.baselineEstimate,
      lastThresholdMs: thresholdMs,
    };
    const judgment = judgeComparative(next.test, next.totals, gate, context.stageElapsedMs, context.stage.durationMin);
    const what = `share slower than ${thresholdMs === null ? '(threshold not set yet)' : `${roundForEvidence(thresholdMs, 4)} ms`}`;
    return {
      state: next,
      result: {
        verdict: judgment.verdict,
        evidence: comparativeEvidence(what, judgment, next, gate, {
          thresholdMs: thresholdMs === null ? null : roundForEvidence(thresholdMs),
          thresholdSource: thresholdSourceOf(gate),
          baselineSamplesForThreshold: next.baselineEstimate.samples,
          mixedWeight: isMixedWeightWindow(event.data, context),
        }),
      },
    };
  },
};
