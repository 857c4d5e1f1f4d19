import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { addTotals, comparativeEvidence, comparativeVerdict, emptyTotals, type ComparativeTotals } from './comparativeEvidence.js';
import { initialRelativeRiskTest, onsetSlotOf, updateRelativeRiskTest, type RelativeRiskTestState } from './relativeRiskTest.js';
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
}

export const compareErrorRateEvaluator: GateEvaluator<CompareErrorRateState> = {
  kind: 'compareErrorRate',
  init: () => ({ test: initialRelativeRiskTest(), totals: emptyTotals() }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as CompareErrorRateConfig;
    const { canary, baseline } = event.data;
    const window = { onsetSlot: onsetSlotOf(event.data.windowStartAt, context.stageEnteredAt), canaryCount: canary.count, baselineCount: baseline.count, canaryEvents: canary.errors, baselineEvents: baseline.errors };
    const next: CompareErrorRateState = {
      test: updateRelativeRiskTest(state.test, window, gate.tolerance, gate.alpha),
      totals: addTotals(state.totals, window),
    };
    const verdict = comparativeVerdict(next.test, next.totals, gate.samplesMin);
    return {
      state: next,
      result: { verdict, evidence: comparativeEvidence('error rate', verdict, next.test, next.totals, gate, { mixedWeight: isMixedWeightWindow(event.data, context) }) },
    };
  },
};
