import { encodeLatencyHistogram, latencyQuantileMs, mergeHistograms } from '../histogram.js';
import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator, GateResult } from './gate.js';
import { breakerVerdict, initialStreak, recordBlock, type BreakerStreak } from './breaker.js';
import { slowerThanCount } from './slowCount.js';
import { decodeWindowHistogram, isMixedWeightWindow, roundForEvidence } from './windowStats.js';

type LatencyConfig = Extract<GateConfig, { kind: 'latency' }>;

/** Open blocks keep the encoded histograms of their windows; past this many they are merged into one. */
const PENDING_HISTOGRAMS_MAX = 720;

/**
 * Absolute circuit breaker on a canary latency quantile (see breaker.ts for blocks and sustain).
 *
 * A block is judged when it holds `samplesMin` canary samples, or earlier when it already holds more requests slower
 * than `maxMs` than a `samplesMin`-sample block may have below its quantile (`samplesMin − ⌈q·samplesMin⌉`): then the
 * quantile over the first `samplesMin` samples exceeds the bound whatever the rest are. Windows that mix two weights
 * are used as they are: latency is per canary request.
 */
export interface LatencyState extends BreakerStreak {
  blockCount: number;
  blockHistograms: string[];
  lastQuantileMs: number | null;
  lastCount: number;
}

export const latencyEvaluator: GateEvaluator<LatencyState> = {
  kind: 'latency',
  init: () => ({ ...initialStreak(), blockCount: 0, blockHistograms: [], lastQuantileMs: null, lastCount: 0 }),
  observe(config, state, event, context) {
    if (event.type !== 'samples.window') return null;
    const gate = config as LatencyConfig;
    const window = event.data.canary;
    const blockCount = state.blockCount + window.count;
    let blockHistograms = window.count > 0 ? [...state.blockHistograms, window.latencyHistogram] : state.blockHistograms;
    let next: LatencyState;
    const full = blockCount >= gate.samplesMin && blockCount > 0;
    const merged = blockCount === 0 ? null : blockHistograms.length === 1 ? decodeWindowHistogram(blockHistograms[0]!) : mergeHistograms(blockHistograms.map(decodeWindowHistogram));
    const slowAllowed = gate.samplesMin - Math.ceil(gate.quantile * gate.samplesMin);
    const certainlyFailing = !full && merged !== null && slowerThanCount(merged, gate.maxMs) > slowAllowed;
    if (merged && (full || certainlyFailing)) {
      const quantileMs = certainlyFailing ? null : latencyQuantileMs(merged, gate.quantile);
      const failing = certainlyFailing || (quantileMs !== null && quantileMs > gate.maxMs);
      next = { ...recordBlock(state, failing), blockCount: 0, blockHistograms: [], lastQuantileMs: quantileMs, lastCount: blockCount };
    } else {
      if (merged && blockHistograms.length > PENDING_HISTOGRAMS_MAX) blockHistograms = [encodeLatencyHistogram(merged)];
      next = { ...state, blockCount, blockHistograms };
    }
    return { state: next, result: resultOf(gate, next, isMixedWeightWindow(event.data, context)) };
  },
};

function resultOf(gate: LatencyConfig, state: LatencyState, mixedWeight: boolean): GateResult {
  const verdict = breakerVerdict(state, gate.sustainWindows);
  const label = `p${roundForEvidence(gate.quantile * 100, 4)}`;
  const quantileMs = state.lastQuantileMs === null ? null : roundForEvidence(state.lastQuantileMs);
  let judged: string;
  if (state.blocksJudged === 0) judged = `canary ${label} not judged yet: ${state.blockCount} of ${gate.samplesMin} samples`;
  else if (quantileMs === null) judged = `canary ${label} > ${gate.maxMs} ms: too many slow requests among the first ${state.lastCount} of a ${gate.samplesMin}-sample block`;
  else judged = `canary ${label} ${quantileMs} ms ${state.lastBlock === 'failing' ? '>' : '≤'} ${gate.maxMs} ms (n=${state.lastCount})`;
  const streak = state.failingStreak > 0 ? `, failing for ${state.failingStreak} of ${gate.sustainWindows} window(s)` : '';
  return {
    verdict,
    evidence: {
      summary: `${judged}${streak}`,
      canaryCount: state.lastCount,
      quantile: gate.quantile,
      latencyMsAtQuantile: quantileMs,
      maxMs: gate.maxMs,
      failingStreak: state.failingStreak,
      sustainWindows: gate.sustainWindows,
      samplesMin: gate.samplesMin,
      pendingCount: state.blockCount,
      mixedWeight,
    },
  };
}
