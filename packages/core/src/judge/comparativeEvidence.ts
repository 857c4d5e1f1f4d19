import type { Evidence, Verdict } from '../events/eventTypes.js';
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

/**
 * Verdict of a comparative gate: `fail` once the worse-side e-process has crossed 1/α; `pass` once the not-worse side
 * has crossed it and the stage has at least `samplesMin` canary samples; `inconclusive` otherwise.
 */
export function comparativeVerdict(test: RelativeRiskTestState, totals: ComparativeTotals, samplesMin: number): Verdict {
  if (test.rejectedNotWorse) return 'fail';
  if (test.rejectedWorse && totals.canaryCount >= samplesMin && totals.canaryCount > 0) return 'pass';
  return 'inconclusive';
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

/** The evidence every comparative evaluation carries: counts, rates, both e-values (log), the bound, α, tolerance. */
export function comparativeEvidence(
  what: string,
  verdict: Verdict,
  test: RelativeRiskTestState,
  totals: ComparativeTotals,
  gate: { alpha: number; tolerance: number; samplesMin: number },
  extra: Record<string, unknown> = {},
): Evidence {
  const canaryRate = percentOf(totals.canaryEvents, totals.canaryCount);
  const baselineRate = percentOf(totals.baselineEvents, totals.baselineCount);
  const relativeRisk = canaryRate !== null && baselineRate !== null && baselineRate > 0 ? canaryRate / baselineRate : null;
  const logWorse = test.logEValueWorse;
  const logNotWorse = test.logEValueNotWorse;
  const settings = settingsTextOf(gate);
  const { limit, boundText } = settings;
  const rates = `canary ${what} ${formatPercent(canaryRate)} (${totals.canaryEvents}/${totals.canaryCount}) vs baseline ${formatPercent(baselineRate)} (${totals.baselineEvents}/${totals.baselineCount})`;
  let conclusion: string;
  if (verdict === 'fail') conclusion = `worse than ${limit} with confidence ${settings.confidence} (e-value ${fmtE(Math.max(logWorse, test.logEValueWorseMax))} ≥ ${boundText})`;
  else if (verdict === 'pass') conclusion = `not worse than ${limit} with confidence ${settings.confidence} (e-value ${fmtE(test.logEValueNotWorseMax)} ≥ ${boundText})`;
  else if (test.rejectedWorse) conclusion = `not worse than ${limit}, waiting for ${gate.samplesMin} canary samples`;
  else conclusion = `not enough evidence yet (e-values ${fmtE(logWorse)} worse, ${fmtE(logNotWorse)} not worse; bound ${boundText})`;
  return {
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
    ...extra,
  };
}

function fmtE(logValue: number): string {
  const value = Math.exp(logValue);
  return value >= 1000 || value < 0.01 ? value.toExponential(1) : value.toPrecision(3);
}
