import type { Verdict } from '../events/eventTypes.js';

/**
 * The sustain logic shared by the absolute circuit breakers (error rate, latency quantile, custom metric).
 *
 * A breaker judges *blocks*: consecutive windows pooled until the block holds at least `samplesMin` canary samples
 * (a low-traffic canary has fewer samples per window than a quantile needs). A block can also be judged before it is
 * full when its outcome is already certain — e.g. when its errors alone exceed the bound over `samplesMin` samples, so
 * that a catastrophic canary fails within one window. `sustainWindows` consecutive failing blocks fail the gate.
 *
 * Verdict: `fail` while the failing streak is at least `sustainWindows`; `pass` when the last judged block was within
 * bounds; `inconclusive` otherwise (nothing judged yet, or failing but not yet sustained). No data is never a pass.
 */
export interface BreakerStreak {
  failingStreak: number;
  lastBlock: 'ok' | 'failing' | null;
  blocksJudged: number;
}

export function initialStreak(): BreakerStreak {
  return { failingStreak: 0, lastBlock: null, blocksJudged: 0 };
}

export function recordBlock(streak: BreakerStreak, failing: boolean): BreakerStreak {
  return {
    failingStreak: failing ? streak.failingStreak + 1 : 0,
    lastBlock: failing ? 'failing' : 'ok',
    blocksJudged: streak.blocksJudged + 1,
  };
}

export function breakerVerdict(streak: BreakerStreak, sustainWindows: number): Verdict {
  if (streak.failingStreak >= sustainWindows) return 'fail';
  if (streak.lastBlock === 'ok') return 'pass';
  return 'inconclusive';
}
