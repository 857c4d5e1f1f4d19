import type { Evidence } from '../events/eventTypes.js';
import { logHarmBoundOf, type ComparativeJudgment, type ComparativeSettings } from './comparativeJudgment.js';
import { detectableRelativeRiskOf } from './detectableEffect.js';
import type { RelativeRiskTestState } from './relativeRiskTest.js';
import { formatPercent, oncePerGateConfig, percentOf, roundForEvidence } from './windowStats.js';

/** Running totals of a comparative gate over the stage. */
export interface ComparativeTotals {
  canaryCount: number;
  baselineCount: number;
  canaryEvents: number;
  baselineEvents: number;
  windows: number;
}

export function emptyTotals(): ComparativeTotals {
  return { canaryCount: 0, baselineCount: 0, canaryEvents: 0, baselineEvents: 0, windows: 0 };
}

export function addTotals(totals: ComparativeTotals, add: Omit<ComparativeTotals, 'windows'>): ComparativeTotals {
  return {
    canaryCount: totals.canaryCount + add.canaryCount,
    baselineCount: totals.baselineCount + add.baselineCount,
    canaryEvents: totals.canaryEvents + add.canaryEvents,
    baselineEvents: totals.baselineEvents + add.baselineEvents,
    windows: totals.windows + 1,
  };
}

/** A comparative gate's settings as its evidence states them, the same for every window. */
const settingsTextOf = oncePerGateConfig((gate: { alpha: number; tolerance: number }) => {
  const logBound = Math.log(1 / gate.alpha);
  return {
    /** "130% of baseline". */
    limit: `${roundForEvidence((1 + gate.tolerance) * 100, 4)}% of baseline`,
    /** "0.99". */
    confidence: `${1 - gate.alpha}`,
    boundText: fmtE(logBound),
    boundRounded: roundForEvidence(1 / gate.alpha),
    logBoundRounded: roundForEvidence(logBound),
  };
});

/**
 * The evidence every comparative evaluation carries: counts, rates, both e-values (log), the bound, α, tolerance. A
 * spec stored before Judge II (no `passRule`) gets exactly the evidence it got then, so replay compares equal; new
 * specs add the margin's floor, the not-worse boundary, the harm bound and why a pass is a pass.
 */
export function comparativeEvidence(
  what: string,
  judgment: ComparativeJudgment,
  fold: { test: RelativeRiskTestState; totals: ComparativeTotals; notWorseBoundaryRho: number },
  gate: ComparativeSettings,
  extra: Record<string, unknown> = {},
): Evidence {
  const { test, totals } = fold;
  const verdict = judgment.verdict;
  const canaryRate = percentOf(totals.canaryEvents, totals.canaryCount);
  const baselineRate = percentOf(totals.baselineEvents, totals.baselineCount);
  const relativeRisk = canaryRate !== null && baselineRate !== null && baselineRate > 0 ? canaryRate / baselineRate : null;
  const logWorse = test.logEValueWorse;
  const logNotWorse = test.logEValueNotWorse;
  const settings = settingsTextOf(gate);
  const { limit, boundText } = settings;
  const rates = `canary ${what} ${formatPercent(canaryRate)} (${totals.canaryEvents}/${totals.canaryCount}) vs baseline ${formatPercent(baselineRate)} (${totals.baselineEvents}/${totals.baselineCount})`;
  const judgeII = gate.passRule !== undefined;
  const margin = judgeII ? marginTextOf(gate) : limit;
  let conclusion: string;
  let detectable: number | null = null;
  if (verdict === 'fail') conclusion = `worse than ${limit} with confidence ${settings.confidence} (e-value ${fmtE(Math.max(logWorse, test.logEValueWorseMax))} ≥ ${boundText})`;
  else if (verdict === 'pass' && judgment.passedBy === 'noHarm') {
    detectable = detectableRelativeRiskOf(totals, gate.tolerance, gate.alpha);
    const couldSee = detectable === null ? 'these counts could not reveal even a 100× regression' : `a canary at ≥ ${roundForEvidence(detectable, 2)}× the baseline's rate would have failed it by now (90% power)`;
    conclusion = `no evidence of harm after the stage's minimum duration (e-value ${fmtE(logWorse)} < ${fmtE(logHarmBoundOf(gate.alpha))}, fail bound ${boundText}); not worse than ${margin} not shown yet (e-value ${fmtE(logNotWorse)}); ${couldSee}`;
  }
  else if (verdict === 'pass') conclusion = `not worse than ${margin} with confidence ${settings.confidence} (e-value ${fmtE(test.logEValueNotWorseMax)} ≥ ${boundText})`;
  else if (test.rejectedWorse) conclusion = `not worse than ${margin}, waiting for ${gate.samplesMin} canary samples`;
  else conclusion = `not enough evidence yet (e-values ${fmtE(logWorse)} worse, ${fmtE(logNotWorse)} not worse; bound ${boundText})`;
  const evidence: Evidence = {
    summary: `${rates}: ${conclusion}`,
    canaryCount: totals.canaryCount,
    canaryEvents: totals.canaryEvents,
    baselineCount: totals.baselineCount,
    baselineEvents: totals.baselineEvents,
    canaryRatePercent: canaryRate === null ? null : roundForEvidence(canaryRate),
    baselineRatePercent: baselineRate === null ? null : roundForEvidence(baselineRate),
    relativeRisk: relativeRisk === null ? null : roundForEvidence(relativeRisk),
    windows: totals.windows,
    statistic: 'mixture likelihood ratio (e-value) of the conditional binomial',
    logEValueWorse: roundForEvidence(logWorse),
    logEValueNotWorse: roundForEvidence(logNotWorse),
    logEValueWorseMax: roundForEvidence(test.logEValueWorseMax),
    logEValueNotWorseMax: roundForEvidence(test.logEValueNotWorseMax),
    bound: settings.boundRounded,
    logBound: settings.logBoundRounded,
    alpha: gate.alpha,
    tolerance: gate.tolerance,
    samplesMin: gate.samplesMin,
  };
  if (judgeII) {
    evidence.passRule = gate.passRule;
    evidence.marginFloorPercent = gate.marginFloorPercent ?? 0;
    evidence.notWorseBoundaryRelativeRisk = roundForEvidence(fold.notWorseBoundaryRho);
    evidence.logHarmBound = roundForEvidence(logHarmBoundOf(gate.alpha));
    evidence.passedBy = judgment.passedBy;
    if (judgment.passedBy === 'noHarm') evidence.detectableRelativeRisk = detectable === null ? null : roundForEvidence(detectable, 4);
  }
  return Object.assign(evidence, extra);
}

/** "max(130% of baseline, baseline + 0.05 points)", or the relative limit alone without a floor. */
const marginTextOf = oncePerGateConfig((gate: ComparativeSettings) => {
  const relative = `${roundForEvidence((1 + gate.tolerance) * 100, 4)}% of baseline`;
  const floor = gate.marginFloorPercent ?? 0;
  return floor > 0 ? `max(${relative}, baseline + ${roundForEvidence(floor, 4)} points)` : relative;
});

function fmtE(logValue: number): string {
  const value = Math.exp(logValue);
  return value >= 1000 || value < 0.01 ? value.toExponential(1) : value.toPrecision(3);
}
