import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator, GateResult } from './gate.js';
import {
  blockPValue,
  breakerVerdict,
  earlySignificantPValue,
  initialStreak,
  recordBlock,
  significanceClause,
  significanceLevelOf,
  type BreakerStreak,
} from './breaker.js';
import { formatPercent, isMixedWeightWindow, oncePerGateConfig, roundForEvidence } from './windowStats.js';

type ErrorRateConfig = Extract<GateConfig, { kind: 'errorRate' }>;

/**
 * Absolute circuit breaker on the canary error rate (see breaker.ts for blocks, sustain and the significance test).
 *
 * With `confidence` c > 0 (default 0.99) a block of n canary requests with k errors fails when the one-sided exact
 * binomial test rejects "the canary's error rate is at most maxPercent": P(X ≥ k | n, maxPercent/100) < 1 − c. A block
 * is judged when it holds `samplesMin` canary samples, or earlier as failing as soon as it is significant — which is
 * what makes a catastrophic canary fail within the first windows. Testing the open block at every window is a few
 * looks per block, so a block at exactly the bound fails slightly more often than 1 − c (docs/judge.md).
 *
 * With `confidence: 0` the observed rate is compared with the bound, as before the test existed: the block is judged
 * early when its errors alone exceed `maxPercent` of `samplesMin` (the rate over the first `samplesMin` samples is then
 * above the bound whatever the rest are). A spec stored before `confidence` existed has no such field and is judged
 * that way too, with the evidence it had then, so replaying an old log reproduces its decisions.
 *
 * Windows that mix two weights are used as they are: the canary's error rate is per canary request, whatever share of
 * the traffic it had.
 */
export interface ErrorRateState {
  /**
   * The judged blocks. Nested rather than spread into the state: V8 gives every object built as
   * `{ ...streak, otherField }` a map of its own, which made every read of a state a megamorphic lookup.
   */
  streak: BreakerStreak;
  blockCount: number;
  blockErrors: number;
  /** The last judged block, for the evidence; null before the first. */
  last: JudgedErrorBlock | null;
}

/** A judged block as its evidence shows it: numbers rounded and sentence written once, not on every window after. */
interface JudgedErrorBlock {
  readonly count: number;
  readonly errors: number;
  readonly ratePercent: number;
  /** undefined for a spec stored before `confidence` existed (its evidence had no p-value). */
  readonly pValue: number | undefined;
  readonly sentence: string;
}

export const errorRateEvaluator: GateEvaluator<ErrorRateState> = {
  kind: 'errorRate',
  init: () => ({ streak: initialStreak(), blockCount: 0, blockErrors: 0, last: null }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as ErrorRateConfig;
    const blockCount = state.blockCount + event.data.canary.count;
    const blockErrors = state.blockErrors + event.data.canary.errors;
    // undefined: a spec stored before the field existed (see above); the schema fills 0.99 into every new one.
    const confidence: number | undefined = gate.confidence;
    const full = blockCount >= gate.samplesMin && blockCount > 0;
    let next: ErrorRateState;
    if (confidence !== undefined && confidence > 0) {
      const boundShare = gate.maxPercent / 100;
      // earlySamplesMin is absent from specs stored before it existed: every look of the open block counted then.
      const early = !full && blockCount >= (gate.earlySamplesMin ?? 0);
      const earlyPValue = early ? earlySignificantPValue(blockErrors, blockCount, boundShare, confidence) : null;
      if (full || earlyPValue !== null) {
        const pValue = earlyPValue ?? blockPValue(blockErrors, blockCount, boundShare);
        const failing = pValue < 1 - confidence;
        next = judged(state, failing, judgedBlock(gate, blockCount, blockErrors, failing, pValue));
      } else {
        next = pending(state, blockCount, blockErrors);
      }
    } else {
      const denominator = Math.max(blockCount, gate.samplesMin);
      const certainlyFailing = denominator > 0 && (100 * blockErrors) / denominator > gate.maxPercent;
      if (full || certainlyFailing) {
        const failing = (100 * blockErrors) / denominator > gate.maxPercent;
        const pValue = confidence === undefined ? undefined : blockPValue(blockErrors, blockCount, gate.maxPercent / 100);
        next = judged(state, failing, observedBlock(gate, blockCount, blockErrors, denominator, failing, pValue));
      } else {
        next = pending(state, blockCount, blockErrors);
      }
    }
    return { state: next, result: resultOf(gate, next, isMixedWeightWindow(event.data, context)) };
  },
};

function judged(state: ErrorRateState, failing: boolean, last: JudgedErrorBlock): ErrorRateState {
  return { streak: recordBlock(state.streak, failing), blockCount: 0, blockErrors: 0, last };
}

function pending(state: ErrorRateState, blockCount: number, blockErrors: number): ErrorRateState {
  return { streak: state.streak, blockCount, blockErrors, last: state.last };
}

/** A block judged by the significance test: "canary error rate 45% (9/20) > 20% (p = 0.0026 < 0.01)". */
function judgedBlock(gate: ErrorRateConfig, count: number, errors: number, failing: boolean, pValue: number): JudgedErrorBlock {
  const ratePercent = roundForEvidence((100 * errors) / count);
  const observedAbove = 100 * errors > gate.maxPercent * count;
  const clause = significanceClause(pValue, levelOf(gate), failing, observedAbove);
  const sentence = `canary error rate ${formatPercent(ratePercent)} (${errors}/${count}) ${observedAbove ? '>' : '≤'} ${gate.maxPercent}%${clause}`;
  return { count, errors, ratePercent, pValue: roundForEvidence(pValue), sentence };
}

/**
 * A block judged on its observed rate (`confidence: 0`, or a spec stored before the field existed): the rate over
 * max(count, samplesMin), as it always was, and the sentence it always had.
 */
function observedBlock(gate: ErrorRateConfig, count: number, errors: number, denominator: number, failing: boolean, pValue: number | undefined): JudgedErrorBlock {
  const ratePercent = roundForEvidence((100 * errors) / denominator);
  const sentence = `canary error rate ${formatPercent(ratePercent)} (${errors}/${count}) ${failing ? '>' : '≤'} ${gate.maxPercent}%`;
  return { count, errors, ratePercent, pValue: pValue === undefined ? undefined : roundForEvidence(pValue), sentence };
}

const levelOf = oncePerGateConfig((gate: ErrorRateConfig) => significanceLevelOf(gate.confidence));

function resultOf(gate: ErrorRateConfig, state: ErrorRateState, mixedWeight: boolean): GateResult {
  const { streak, last } = state;
  const verdict = breakerVerdict(streak, gate.sustainWindows);
  const judgedText = last !== null ? last.sentence : `canary error rate not judged yet: ${state.blockCount} of ${gate.samplesMin} samples`;
  const failing = streak.failingStreak > 0 ? `, failing for ${streak.failingStreak} of ${gate.sustainWindows} window(s)` : '';
  return {
    verdict,
    evidence: {
      summary: `${judgedText}${failing}`,
      canaryCount: last !== null ? last.count : 0,
      canaryErrors: last !== null ? last.errors : 0,
      errorRatePercent: last !== null ? last.ratePercent : null,
      maxPercent: gate.maxPercent,
      confidence: gate.confidence,
      // A spec stored before `confidence` existed had no p-value in its evidence, judged or not.
      pValue: last !== null ? last.pValue : gate.confidence === undefined ? undefined : null,
      failingStreak: streak.failingStreak,
      sustainWindows: gate.sustainWindows,
      samplesMin: gate.samplesMin,
      pendingCount: state.blockCount,
      pendingErrors: state.blockErrors,
      mixedWeight,
    },
  };
}
