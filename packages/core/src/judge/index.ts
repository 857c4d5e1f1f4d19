/**
 * `@sluice/core/judge`: the judge's building blocks, for harnesses and tools that run the gates' own statistics on
 * their own window streams (bench/judge, `sluice plan`'s kind of analysis). The machine uses the gates through
 * `gateEvaluatorFor` (main entry); these are the pure functions behind them. Stable as long as the judge's maths is.
 */
export { initialRelativeRiskTest, updateRelativeRiskTest, onsetSlotOf, canaryEventProbability, LOG_OFFSETS, ONSET_SLOT_MS } from './relativeRiskTest.js';
export type { RelativeRiskTestState, WindowEvents } from './relativeRiskTest.js';
export { foldComparativeWindow, judgeComparative, notWorseBoundaryRho, baselineRateUpperBound, logHarmBoundOf } from './comparativeJudgment.js';
export type { ComparativeSettings, ComparativeJudgment, ComparativeFold, PassBasis } from './comparativeJudgment.js';
export { emptyTotals, addTotals } from './comparativeEvidence.js';
export type { ComparativeTotals } from './comparativeEvidence.js';
export { errorRateEvaluator } from './errorRateGate.js';
export type { ErrorRateState } from './errorRateGate.js';
export { advanceFlagger } from './flaggerGate.js';
export type { FlaggerState } from './flaggerGate.js';
export { advanceArgo } from './argoGate.js';
export type { ArgoState } from './argoGate.js';
export { emptyIntervals } from './intervalChecks.js';
export type { IntervalMeasurement } from './intervalChecks.js';
export { gateEvaluatorFor } from './registry.js';
export type { GateEvaluator, GateContext, GateResult } from './gate.js';
export { createRandom } from '../simulate/prng.js';
export type { Random } from '../simulate/prng.js';
