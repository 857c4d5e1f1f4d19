import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator, GateResult } from './gate.js';
import { breakerVerdict, initialStreak, recordBlock, type BreakerStreak } from './breaker.js';
import { formatPercent, isMixedWeightWindow, percentOf, roundForEvidence } from './windowStats.js';

type ErrorRateConfig = Extract<GateConfig, { kind: 'errorRate' }>;

/**
 * Absolute circuit breaker on the canary error rate (see breaker.ts for blocks and sustain).
 *
 * A block is judged when it holds `samplesMin` canary samples, or earlier when its errors already exceed
 * `maxPercent` of `samplesMin` — then the rate over the first `samplesMin` samples is above the bound whatever the
 * rest are, which is what makes a catastrophic canary fail within one window. Windows that mix two weights are used
 * as they are: the canary's error rate is per canary request, whatever share of the traffic it had.
 */
export interface ErrorRateState {
  /**
   * The judged blocks. Nested rather than spread into the state: V8 gives every object built as
   * `{ ...streak, otherField }` a map of its own, which made every read of a state a megamorphic lookup.
   */
  streak: BreakerStreak;
  blockCount: number;
  blockErrors: number;
  lastRatePercent: number | null;
  lastCount: number;
  lastErrors: number;
}

export const errorRateEvaluator: GateEvaluator<ErrorRateState> = {
  kind: 'errorRate',
  init: () => ({ streak: initialStreak(), blockCount: 0, blockErrors: 0, lastRatePercent: null, lastCount: 0, lastErrors: 0 }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as ErrorRateConfig;
    const blockCount = state.blockCount + event.data.canary.count;
    const blockErrors = state.blockErrors + event.data.canary.errors;
    const denominator = Math.max(blockCount, gate.samplesMin);
    const certainlyFailing = denominator > 0 && (100 * blockErrors) / denominator > gate.maxPercent;
    let next: ErrorRateState;
    if ((blockCount >= gate.samplesMin && blockCount > 0) || certainlyFailing) {
      const ratePercent = (100 * blockErrors) / denominator;
      next = {
        streak: recordBlock(state.streak, ratePercent > gate.maxPercent),
        blockCount: 0,
        blockErrors: 0,
        lastRatePercent: ratePercent,
        lastCount: blockCount,
        lastErrors: blockErrors,
      };
    } else {
      next = { streak: state.streak, blockCount, blockErrors, lastRatePercent: state.lastRatePercent, lastCount: state.lastCount, lastErrors: state.lastErrors };
    }
    return { state: next, result: resultOf(gate, next, isMixedWeightWindow(event.data, context)) };
  },
};

function resultOf(gate: ErrorRateConfig, state: ErrorRateState, mixedWeight: boolean): GateResult {
  const { streak } = state;
  const verdict = breakerVerdict(streak, gate.sustainWindows);
  const rate = state.lastRatePercent === null ? null : roundForEvidence(state.lastRatePercent);
  const judged = streak.blocksJudged > 0
    ? `canary error rate ${formatPercent(rate)} (${state.lastErrors}/${state.lastCount}) ${streak.lastBlock === 'failing' ? '>' : '≤'} ${gate.maxPercent}%`
    : `canary error rate not judged yet: ${state.blockCount} of ${gate.samplesMin} samples`;
  const failing = streak.failingStreak > 0 ? `, failing for ${streak.failingStreak} of ${gate.sustainWindows} window(s)` : '';
  return {
    verdict,
    evidence: {
      summary: `${judged}${failing}`,
      canaryCount: state.lastCount,
      canaryErrors: state.lastErrors,
      errorRatePercent: rate,
      maxPercent: gate.maxPercent,
      failingStreak: streak.failingStreak,
      sustainWindows: gate.sustainWindows,
      samplesMin: gate.samplesMin,
      pendingCount: state.blockCount,
      pendingErrors: state.blockErrors,
      mixedWeight,
    },
  };
}
