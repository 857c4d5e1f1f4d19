import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { comparativeEvidence, emptyTotals, type ComparativeTotals } from './comparativeEvidence.js';
import { foldComparativeWindow, judgeComparative } from './comparativeJudgment.js';
import { initialRelativeRiskTest, onsetSlotOf, type RelativeRiskTestState } from './relativeRiskTest.js';
import { isMixedWeightWindow } from './windowStats.js';

type CompareErrorRateConfig = Extract<GateConfig, { kind: 'compareErrorRate' }>;

/**
 * Sequential canary-vs-baseline test on error counts (relativeRiskTest.ts). Valid when evaluated at every window:
 * the probability of ever failing a canary that is no worse than (1 + tolerance) × baseline is at most α.
 * Windows that mix two weights are used: the test conditions on each window's observed request counts, so it does
 * not need the share to be the configured one, nor constant.
 */
export interface CompareErrorRateState {
  test: RelativeRiskTestState;
  totals: ComparativeTotals;
  /** The not-worse side's boundary for the last window (1 + tolerance, or higher with the margin's absolute floor). */
  notWorseBoundaryRho: number;
}

export const compareErrorRateEvaluator: GateEvaluator<CompareErrorRateState> = {
  kind: 'compareErrorRate',
  init: (config) => ({ test: initialRelativeRiskTest(), totals: emptyTotals(), notWorseBoundaryRho: 1 + (config as CompareErrorRateConfig).tolerance }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as CompareErrorRateConfig;
    const { canary, baseline } = event.data;
    const window = { onsetSlot: onsetSlotOf(event.data.windowStartAt, context.stageEnteredAt), canaryCount: canary.count, baselineCount: baseline.count, canaryEvents: canary.errors, baselineEvents: baseline.errors };
    const next: CompareErrorRateState = foldComparativeWindow(state.test, state.totals, window, gate);
    const judgment = judgeComparative(next.test, next.totals, gate, context.stageElapsedMs, context.stage.durationMin);
    return {
      state: next,
      result: {
        verdict: judgment.verdict,
        evidence: comparativeEvidence('error rate', judgment, next, gate, { mixedWeight: isMixedWeightWindow(event.data, context) }),
      },
    };
  },
};
