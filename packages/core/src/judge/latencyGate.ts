import { sparseCountSlowerThanMs, sparseQuantileMs } from '../sparseHistogram.js';
import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator, GateResult } from './gate.js';
import { breakerVerdict, initialStreak, recordBlock, type BreakerStreak } from './breaker.js';
import { addToHistogramBlock, compactHistogramBlock, EMPTY_HISTOGRAM_BLOCK, type HistogramBlock } from './histogramBlock.js';
import { isMixedWeightWindow, oncePerGateConfig, roundForEvidence, windowHistogram } from './windowStats.js';

type LatencyConfig = Extract<GateConfig, { kind: 'latency' }>;

/** An open block past this many windows counts as one (compactHistogramBlock), as it always has. */
const PENDING_WINDOWS_MAX = 720;

/**
 * Absolute circuit breaker on a canary latency quantile (see breaker.ts for blocks and sustain).
 *
 * A block is judged when it holds `samplesMin` canary samples, or earlier when it already holds more requests slower
 * than `maxMs` than a `samplesMin`-sample block may have below its quantile (`samplesMin − ⌈q·samplesMin⌉`): then the
 * quantile over the first `samplesMin` samples exceeds the bound whatever the rest are. Windows that mix two weights
 * are used as they are: latency is per canary request.
 */
export interface LatencyState {
  /** The judged blocks (nested, not spread: see ErrorRateState). */
  streak: BreakerStreak;
  blockCount: number;
  /** The open block's merged canary histogram (histogramBlock.ts). */
  block: HistogramBlock;
  lastQuantileMs: number | null;
  lastCount: number;
}

export const latencyEvaluator: GateEvaluator<LatencyState> = {
  kind: 'latency',
  init: () => ({ streak: initialStreak(), blockCount: 0, block: EMPTY_HISTOGRAM_BLOCK, lastQuantileMs: null, lastCount: 0 }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as LatencyConfig;
    const window = event.data.canary;
    const blockCount = state.blockCount + window.count;
    const block = window.count > 0 ? addToHistogramBlock(state.block, windowHistogram(window)) : state.block;
    let next: LatencyState;
    const full = blockCount >= gate.samplesMin && blockCount > 0;
    const merged = blockCount === 0 ? null : block.histogram;
    const slowAllowed = gate.samplesMin - Math.ceil(gate.quantile * gate.samplesMin);
    const certainlyFailing = !full && merged !== null && sparseCountSlowerThanMs(merged, gate.maxMs) > slowAllowed;
    if (merged && (full || certainlyFailing)) {
      const quantileMs = certainlyFailing ? null : sparseQuantileMs(merged, gate.quantile);
      const failing = certainlyFailing || (quantileMs !== null && quantileMs > gate.maxMs);
      next = { streak: recordBlock(state.streak, failing), blockCount: 0, block: EMPTY_HISTOGRAM_BLOCK, lastQuantileMs: quantileMs, lastCount: blockCount };
    } else {
      next = {
        streak: state.streak,
        blockCount,
        block: block.windows > PENDING_WINDOWS_MAX ? compactHistogramBlock(block) : block,
        lastQuantileMs: state.lastQuantileMs,
        lastCount: state.lastCount,
      };
    }
    return { state: next, result: resultOf(gate, next, isMixedWeightWindow(event.data, context)) };
  },
};

/** "p99.9": the gate's quantile as its summaries name it. */
const quantileLabelOf = oncePerGateConfig((gate: LatencyConfig) => `p${roundForEvidence(gate.quantile * 100, 4)}`);

function resultOf(gate: LatencyConfig, state: LatencyState, mixedWeight: boolean): GateResult {
  const { streak } = state;
  const verdict = breakerVerdict(streak, gate.sustainWindows);
  const label = quantileLabelOf(gate);
  const quantileMs = state.lastQuantileMs === null ? null : roundForEvidence(state.lastQuantileMs);
  let judged: string;
  if (streak.blocksJudged === 0) judged = `canary ${label} not judged yet: ${state.blockCount} of ${gate.samplesMin} samples`;
  else if (quantileMs === null) judged = `canary ${label} > ${gate.maxMs} ms: too many slow requests among the first ${state.lastCount} of a ${gate.samplesMin}-sample block`;
  else judged = `canary ${label} ${quantileMs} ms ${streak.lastBlock === 'failing' ? '>' : '≤'} ${gate.maxMs} ms (n=${state.lastCount})`;
  const failing = streak.failingStreak > 0 ? `, failing for ${streak.failingStreak} of ${gate.sustainWindows} window(s)` : '';
  return {
    verdict,
    evidence: {
      summary: `${judged}${failing}`,
      canaryCount: state.lastCount,
      quantile: gate.quantile,
      latencyMsAtQuantile: quantileMs,
      maxMs: gate.maxMs,
      failingStreak: streak.failingStreak,
      sustainWindows: gate.sustainWindows,
      samplesMin: gate.samplesMin,
      pendingCount: state.blockCount,
      mixedWeight,
    },
  };
}
