import type { Verdict } from '../events/eventTypes.js';
import { binomialUpperTail } from './binomialTail.js';
import { roundForEvidence } from './windowStats.js';

/**
 * The sustain logic shared by the absolute circuit breakers (error rate, latency quantile, custom metric).
 *
 * A breaker judges *blocks*: consecutive windows pooled until the block holds at least `samplesMin` canary samples
 * (a low-traffic canary has fewer samples per window than a quantile needs). A block can also be judged as failing
 * before it is full: when it is already significantly above the bound (the count-based breakers with `confidence` > 0,
 * below), or when its errors alone exceed the bound over `samplesMin` samples (`confidence: 0`), so that a catastrophic
 * canary fails within the first windows. `sustainWindows` consecutive failing blocks fail the gate.
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

/**
 * Significance of a block, for the count-based breakers (error rate, latency quantile). A bound on a rate — "at most
 * 20% errors", or "p90 ≤ 2 s", which is "at most 10% of requests slower than 2 s" — is tested on the block's counts:
 * the block fails when `bad` of `count` requests would be unlikely if the true share were at the bound, i.e. when the
 * one-sided exact binomial p-value P(X ≥ bad | count, boundShare) is below 1 − confidence. Comparing the observed
 * share with the bound instead fails healthy canaries on small blocks: 5 errors in 22 requests is 23% > 20%, and a
 * service at 5% errors produces that about once in 250 blocks (docs/judge.md, "Circuit breakers").
 */
export function blockPValue(bad: number, count: number, boundShare: number): number {
  return binomialUpperTail(bad, count, boundShare);
}

/**
 * The p-value of a block that is not full yet when it is already significant (below 1 − confidence), else null. Most
 * windows leave a healthy block below its bound, so the tail is computed only where it can be small: when the observed
 * share is at most the bound, `bad` is at most ⌊count·boundShare⌋, which is at most the binomial's median
 * (Kaas & Buhrman 1980), so the p-value is at least ½ — not significant at any confidence above ½. (`count · boundShare`
 * is one rounded product; it can only misplace a block whose share equals the bound to 16 digits, whose p-value is ½
 * to as many.)
 */
export function earlySignificantPValue(bad: number, count: number, boundShare: number, confidence: number): number | null {
  if (bad === 0 || (confidence > 0.5 && bad <= count * boundShare)) return null;
  const pValue = binomialUpperTail(bad, count, boundShare);
  return pValue < 1 - confidence ? pValue : null;
}

/** The significance level 1 − confidence as evidence shows it (0.01, not 0.010000000000000009). */
export function significanceLevelOf(confidence: number): number {
  return roundForEvidence(1 - confidence);
}

/**
 * The significance clause of a judged block's summary: " (p = 0.0026 < 0.01)" for a failing block above the bound,
 * " but not significant (p = 0.46 ≥ 0.01)" for a block above it that passes, " (p = 0.93 ≥ 0.01)" for one within it,
 * " (p < 1e-12)" for a failing block far above it.
 * (Below a confidence of ½ a block within the bound can fail: ", significant (p = 0.41 < 0.5)".)
 */
export function significanceClause(pValue: number, level: number, failing: boolean, observedAboveBound: boolean): string {
  const p = pValueText(pValue, level, failing);
  // "p < 1e-12 < 0.01" says nothing "p < 1e-12" does not.
  const tiny = pValue < 1e-12;
  if (failing) return `${observedAboveBound ? ' (' : ', significant ('}${tiny ? p : `${p} < ${level}`})`;
  return `${observedAboveBound ? ' but not significant (' : ' ('}${tiny ? `${p}, level ${level}` : `${p} ≥ ${level}`})`;
}

/**
 * "p = 0.46", "p = 0.0026", "p = 3.6e-8": two significant digits, or as many more (up to 6) as it takes to stay on
 * the side of the level the test found (0.00998 is "0.00998 < 0.01", not "0.01 < 0.01"); "p < 1e-12" below the
 * tail's own accuracy.
 */
function pValueText(pValue: number, level: number, failing: boolean): string {
  if (pValue < 1e-12) return 'p < 1e-12';
  let shown = Number(pValue.toPrecision(2));
  for (let digits = 3; digits <= 6 && (failing ? shown >= level : shown < level); digits++) shown = Number(pValue.toPrecision(digits));
  return `p = ${shown}`;
}
