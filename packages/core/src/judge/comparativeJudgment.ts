import type { Verdict } from '../events/eventTypes.js';
import { addTotals, type ComparativeTotals } from './comparativeEvidence.js';
import { updateRelativeRiskTest, type RelativeRiskTestState, type WindowEvents } from './relativeRiskTest.js';

/**
 * What the two comparative gates (compareErrorRate, compareLatency) share: folding a window's event counts into the
 * test and the stage totals, and the verdict. The gates, `sluice plan` and the judge harness call these same functions,
 * so what the plan predicts is what the gates do.
 *
 * Judge II (docs/judge.md, "Passing on time"). A spec stored before it has no `passRule` and no `marginFloorPercent`:
 * its gates pass only once non-inferiority within the relative tolerance is shown, as they did, and replay reproduces
 * their old decisions. New specs get two additions, both on the pass side only — failing is unchanged:
 *  - the non-inferiority margin has an absolute floor: "not worse than max((1 + τ) × baseline, baseline + floor)";
 *  - `passRule: noHarm`: once the stage has run its durationMin with samplesMin canary samples, the gate also passes
 *    while the fail test is far from its bound (e-value below √(1/α)): no evidence of harm.
 */
export interface ComparativeSettings {
  alpha: number;
  tolerance: number;
  samplesMin: number;
  /** Absent in specs stored before Judge II. */
  marginFloorPercent?: number;
  /** Absent in specs stored before Judge II (they pass only when non-inferiority is shown). */
  passRule?: 'shown' | 'noHarm';
}

export type PassBasis = 'shown' | 'noHarm';

export interface ComparativeJudgment {
  verdict: Verdict;
  /** Why a `pass` is a pass; null for other verdicts. */
  passedBy: PassBasis | null;
}

/**
 * An upper confidence bound of the baseline's event rate from the stage's windows so far (never the window being
 * judged, so the boundary it sets is fixed before the window): (√(E + 1) + 1)² / N, the usual square-root bound of a
 * Poisson count (about 98% one-sided). An upper bound makes the floor's boundary 1 + floor / r_b smaller, which is the
 * conservative side for claiming non-inferiority.
 */
export function baselineRateUpperBound(totals: ComparativeTotals): number | null {
  if (totals.baselineCount <= 0) return null;
  const root = Math.sqrt(totals.baselineEvents + 1) + 1;
  return (root * root) / totals.baselineCount;
}

/**
 * The relative risk the not-worse side tests against: 1 + τ, or with the absolute floor a (a share, not percent)
 * max(1 + τ, 1 + a / r̂_b) for the upper bound r̂_b of the baseline's rate before this window.
 */
export function notWorseBoundaryRho(settings: ComparativeSettings, totalsBefore: ComparativeTotals): number {
  const relative = 1 + settings.tolerance;
  const floorShare = (settings.marginFloorPercent ?? 0) / 100;
  if (floorShare <= 0) return relative;
  const rate = baselineRateUpperBound(totalsBefore);
  if (rate === null) return relative;
  return Math.max(relative, 1 + floorShare / rate);
}

export interface ComparativeFold {
  test: RelativeRiskTestState;
  totals: ComparativeTotals;
  /** The not-worse boundary used for the last window folded. */
  notWorseBoundaryRho: number;
}

/** Folds one window's counts into the test and the totals. */
export function foldComparativeWindow(
  test: RelativeRiskTestState,
  totals: ComparativeTotals,
  window: WindowEvents,
  settings: ComparativeSettings,
): ComparativeFold {
  const boundary = notWorseBoundaryRho(settings, totals);
  return {
    test: updateRelativeRiskTest(test, window, settings.tolerance, settings.alpha, boundary),
    totals: addTotals(totals, window),
    notWorseBoundaryRho: boundary,
  };
}

/** log of the "no evidence of harm" bound: √(1/α), half of the fail bound on a log scale. */
export function logHarmBoundOf(alpha: number): number {
  return 0.5 * Math.log(1 / alpha);
}

/**
 * The verdict: `fail` once the worse side crossed 1/α (sticky); `pass` once the not-worse side crossed 1/α with
 * samplesMin canary samples (shown), or — `passRule: noHarm` — once the stage has run `durationMinMs` with samplesMin
 * canary samples and the worse side's e-value is now below √(1/α) (no evidence of harm); `inconclusive` otherwise.
 * A gate that has judged no canary sample never passes: no data is never a pass.
 */
export function judgeComparative(
  test: RelativeRiskTestState,
  totals: ComparativeTotals,
  settings: ComparativeSettings,
  stageElapsedMs: number | null,
  durationMinMs: number,
): ComparativeJudgment {
  if (test.rejectedNotWorse) return { verdict: 'fail', passedBy: null };
  const enoughSamples = totals.canaryCount >= settings.samplesMin && totals.canaryCount > 0;
  if (test.rejectedWorse && enoughSamples) return { verdict: 'pass', passedBy: 'shown' };
  if (
    settings.passRule === 'noHarm' &&
    enoughSamples &&
    stageElapsedMs !== null &&
    stageElapsedMs >= durationMinMs &&
    test.logEValueWorse < logHarmBoundOf(settings.alpha)
  ) {
    return { verdict: 'pass', passedBy: 'noHarm' };
  }
  return { verdict: 'inconclusive', passedBy: null };
}
