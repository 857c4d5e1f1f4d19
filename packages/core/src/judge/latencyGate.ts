import { sparseCountSlowerThanMs, sparseQuantileMs, type SparseLatencyHistogram } from '../histogram/index.js';
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
import { addToHistogramBlock, compactHistogramBlock, EMPTY_HISTOGRAM_BLOCK, type HistogramBlock } from './histogramBlock.js';
import { isMixedWeightWindow, oncePerGateConfig, roundForEvidence, windowHistogram } from './windowStats.js';

type LatencyConfig = Extract<GateConfig, { kind: 'latency' }>;

/** An open block past this many windows counts as one (compactHistogramBlock), as it always has. */
const PENDING_WINDOWS_MAX = 720;

/**
 * Absolute circuit breaker on a canary latency quantile (see breaker.ts for blocks, sustain and the significance test).
 *
 * "The q-quantile is at most maxMs" is "at most a share 1 − q of the requests is slower than maxMs", a bound on a
 * rate like the error breaker's. With `confidence` c > 0 (default 0.99) a block of n canary requests of which s are
 * slower than maxMs fails when P(X ≥ s | n, 1 − q) < 1 − c. A block is judged when it holds `samplesMin` canary
 * samples, or earlier as failing as soon as it is significant. The observed quantile stays in the evidence. A request
 * counts as slower only when its whole HdrHistogram bucket lies above maxMs (sparseCountSlowerThanMs), so the count
 * errs on the side of passing by at most one bucket's width, 0.1%.
 *
 * With `confidence: 0` the block's observed quantile is compared with maxMs, as before the test existed: the block is
 * judged early when it already holds more requests slower than `maxMs` than a `samplesMin`-sample block may have above
 * its quantile (`samplesMin − ⌈q·samplesMin⌉`) — then the quantile over the first `samplesMin` samples exceeds the
 * bound whatever the rest are. A spec stored before `confidence` existed is judged that way too, with the evidence it
 * had then (see errorRateGate.ts).
 *
 * Windows that mix two weights are used as they are: latency is per canary request.
 */
export interface LatencyState {
  /** The judged blocks (nested, not spread: see ErrorRateState). */
  streak: BreakerStreak;
  blockCount: number;
  /** The open block's merged canary histogram (histogramBlock.ts). */
  block: HistogramBlock;
  /** The last judged block, for the evidence; null before the first. */
  last: JudgedLatencyBlock | null;
}

/** A judged block as its evidence shows it: numbers rounded and sentence written once, not on every window after. */
interface JudgedLatencyBlock {
  readonly count: number;
  /** Requests slower than maxMs; undefined for a spec stored before `confidence` existed (its evidence had none). */
  readonly slowCount: number | undefined;
  /** The observed quantile, ms; null where the old early judgment did not compute it. */
  readonly quantileMs: number | null;
  readonly pValue: number | undefined;
  readonly sentence: string;
}

export const latencyEvaluator: GateEvaluator<LatencyState> = {
  kind: 'latency',
  init: () => ({ streak: initialStreak(), blockCount: 0, block: EMPTY_HISTOGRAM_BLOCK, last: null }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as LatencyConfig;
    const window = event.data.canary;
    const blockCount = state.blockCount + window.count;
    const block = window.count > 0 ? addToHistogramBlock(state.block, windowHistogram(window)) : state.block;
    const full = blockCount >= gate.samplesMin && blockCount > 0;
    const merged = blockCount === 0 ? null : block.histogram;
    // undefined: a spec stored before the field existed (see above); the schema fills 0.99 into every new one.
    const confidence: number | undefined = gate.confidence;
    let next: LatencyState | null = null;
    if (merged !== null && confidence !== undefined && confidence > 0) {
      const slowCount = sparseCountSlowerThanMs(merged, gate.maxMs);
      const boundShare = 1 - gate.quantile;
      // earlySamplesMin is absent from specs stored before it existed: every look of the open block counted then.
      const early = !full && blockCount >= (gate.earlySamplesMin ?? 0);
      const earlyPValue = early ? earlySignificantPValue(slowCount, blockCount, boundShare, confidence) : null;
      if (full || earlyPValue !== null) {
        const pValue = earlyPValue ?? blockPValue(slowCount, blockCount, boundShare);
        const failing = pValue < 1 - confidence;
        next = judged(state, failing, judgedBlock(gate, merged, blockCount, slowCount, failing, pValue));
      }
    } else if (merged !== null) {
      const slowAllowed = gate.samplesMin - Math.ceil(gate.quantile * gate.samplesMin);
      // The old judgment counted slow requests only in a block that was not full; the p-value needs them in every one.
      const slowCount = full && confidence === undefined ? undefined : sparseCountSlowerThanMs(merged, gate.maxMs);
      const certainlyFailing = !full && slowCount! > slowAllowed;
      if (full || certainlyFailing) {
        const observed = certainlyFailing ? null : sparseQuantileMs(merged, gate.quantile);
        const failing = certainlyFailing || (observed !== null && observed > gate.maxMs);
        next = judged(state, failing, observedBlock(gate, blockCount, slowCount, observed, confidence));
      }
    }
    next ??= {
      streak: state.streak,
      blockCount,
      block: block.windows > PENDING_WINDOWS_MAX ? compactHistogramBlock(block) : block,
      last: state.last,
    };
    return { state: next, result: resultOf(gate, next, isMixedWeightWindow(event.data, context)) };
  },
};

function judged(state: LatencyState, failing: boolean, last: JudgedLatencyBlock): LatencyState {
  return { streak: recordBlock(state.streak, failing), blockCount: 0, block: EMPTY_HISTOGRAM_BLOCK, last };
}

/** "p90": the gate's quantile as its summaries name it. */
const quantileLabelOf = oncePerGateConfig((gate: LatencyConfig) => `p${roundForEvidence(gate.quantile * 100, 4)}`);
const levelOf = oncePerGateConfig((gate: LatencyConfig) => significanceLevelOf(gate.confidence));

/**
 * A block judged by the significance test:
 * "canary p90 3000.32 ms > 500 ms with 15/50 requests slower (p = 0.000074 < 0.01)".
 */
function judgedBlock(gate: LatencyConfig, histogram: SparseLatencyHistogram, count: number, slowCount: number, failing: boolean, pValue: number): JudgedLatencyBlock {
  const observed = sparseQuantileMs(histogram, gate.quantile);
  const quantileMs = observed === null ? null : roundForEvidence(observed);
  const observedAbove = quantileMs !== null && observed! > gate.maxMs;
  const clause = significanceClause(pValue, levelOf(gate), failing, observedAbove);
  const quantileText = quantileMs === null ? 'n/a' : `${quantileMs} ms`;
  const sentence = `canary ${quantileLabelOf(gate)} ${quantileText} ${observedAbove ? '>' : '≤'} ${gate.maxMs} ms with ${slowCount}/${count} requests slower${clause}`;
  return { count, slowCount, quantileMs, pValue: roundForEvidence(pValue), sentence };
}

/**
 * A block judged on its observed quantile (`confidence: 0`, or a spec stored before the field existed), with the
 * sentence it always had. `observed` is null for an early judgment, which never computed the quantile.
 */
function observedBlock(gate: LatencyConfig, count: number, slowCount: number | undefined, observed: number | null, confidence: number | undefined): JudgedLatencyBlock {
  const label = quantileLabelOf(gate);
  const legacy = confidence === undefined;
  const pValue = legacy ? undefined : roundForEvidence(blockPValue(slowCount!, count, 1 - gate.quantile));
  const reported = legacy ? undefined : slowCount;
  if (observed === null) {
    return { count, slowCount: reported, quantileMs: null, pValue, sentence: `canary ${label} > ${gate.maxMs} ms: too many slow requests among the first ${count} of a ${gate.samplesMin}-sample block` };
  }
  const quantileMs = roundForEvidence(observed);
  return { count, slowCount: reported, quantileMs, pValue, sentence: `canary ${label} ${quantileMs} ms ${observed > gate.maxMs ? '>' : '≤'} ${gate.maxMs} ms (n=${count})` };
}

function resultOf(gate: LatencyConfig, state: LatencyState, mixedWeight: boolean): GateResult {
  const { streak, last } = state;
  const verdict = breakerVerdict(streak, gate.sustainWindows);
  const judgedText = last !== null ? last.sentence : `canary ${quantileLabelOf(gate)} not judged yet: ${state.blockCount} of ${gate.samplesMin} samples`;
  const failing = streak.failingStreak > 0 ? `, failing for ${streak.failingStreak} of ${gate.sustainWindows} window(s)` : '';
  const legacy = gate.confidence === undefined;
  return {
    verdict,
    evidence: {
      summary: `${judgedText}${failing}`,
      canaryCount: last !== null ? last.count : 0,
      quantile: gate.quantile,
      latencyMsAtQuantile: last !== null ? last.quantileMs : null,
      maxMs: gate.maxMs,
      // A spec stored before `confidence` existed had none of these three in its evidence, judged or not.
      canarySlowCount: last !== null ? last.slowCount : legacy ? undefined : null,
      confidence: gate.confidence,
      pValue: last !== null ? last.pValue : legacy ? undefined : null,
      failingStreak: streak.failingStreak,
      sustainWindows: gate.sustainWindows,
      samplesMin: gate.samplesMin,
      pendingCount: state.blockCount,
      mixedWeight,
    },
  };
}
