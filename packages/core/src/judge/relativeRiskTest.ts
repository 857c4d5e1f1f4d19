/**
 * The anytime-valid test behind the comparative gates (docs/judge.md has the derivation and references).
 *
 * Model. In a window the canary served n_c requests and the baseline n_b; events (errors, or slow requests) occur at
 * rates r_c and r_b per request. Conditional on the window's total events E and on the request counts, each event is a
 * canary event with probability p(ρ) = wρ / (wρ + 1 − w), where w = n_c / (n_c + n_b) is the *observed* canary share
 * and ρ = r_c / r_b the relative risk — so the test holds whatever the router does, and windows with different
 * shares combine because every window has its own p while ρ is shared.
 *
 * Two one-sided tests against the tolerance boundary ρ0 = 1 + tolerance:
 *  - worse:    H0 ρ ≤ ρ0. E-process W_t = Σ_k (1/K) [ Σ_{j≤t} π_j Π_{i≥j..t} LR_i(ρ0·e^{δ_k}) + (1 − Σ_{j≤t} π_j) ]: a
 *              mixture over a grid of effects δ_k > 0 *and over the onset slot j where the regression starts* (a
 *              slot is a minute of the stage, ONSET_SLOT_MS; component j multiplies the windows from slot j on), with
 *              π_j = 1/(j(j+1)) (Σ π_j = 1). Slots are fixed by window times, so each component starts at a
 *              predictable time. Each LR factor has conditional mean ≤ 1 under any ρ ≤ ρ0 (the likelihood
 *              ratio grows with the canary count, which is stochastically smallest at the boundary), so every
 *              component is a test supermartingale (equal to 1 before it starts), and so is their mixture: by Ville's
 *              inequality P(sup_t W_t ≥ 1/α) ≤ α. Crossing 1/α is `fail`. Mixing over onsets costs ln(1/π_j) nats
 *              but spares a regression that starts late the evidence the healthy windows before it piled up.
 *              The sum over onsets has the recursion S_t = LR_t · (S_{t−1} + Σ π_j over slots opened by window t),
 *              so the state stays K numbers.
 *  - notWorse: H0 ρ ≥ ρ0, the same construction over δ_k < 0. Crossing 1/α shows non-inferiority: `pass`.
 * A discrete mixture needs no conjugacy (the share differs per window) and every mixture weight choice is valid.
 */
const GRID_RATIO = 1.5;
const GRID_STEPS = 13;
/** Log relative-risk offsets from the boundary: 0.04, 0.06, 0.09, … 5.2 (ρ/ρ0 from 1.04 to ~180). */
export const LOG_OFFSETS: readonly number[] = Array.from({ length: GRID_STEPS }, (_, k) => 0.04 * GRID_RATIO ** k);
const LOG_GRID_SIZE = Math.log(GRID_STEPS);
/** e^{±offset} of each grid point, computed once: the test runs twice per window per comparative gate. */
const RATIO_WORSE: readonly number[] = LOG_OFFSETS.map((offset) => Math.exp(offset));
const RATIO_NOT_WORSE: readonly number[] = LOG_OFFSETS.map((offset) => Math.exp(-offset));
/** Length of an onset slot of the worse-side mixture: regressions are assumed to start on a minute of the stage. */
export const ONSET_SLOT_MS = 60_000;

export interface RelativeRiskTestState {
  /** log S_t at each worse-side grid point: the onset mixture Σ_j π_j Π_{i=j..t} LR_i. */
  logLikelihoodRatiosWorse: readonly number[];
  /** Informative windows folded so far. */
  informativeWindows: number;
  /** Highest onset slot whose component has started (0 before the first informative window). */
  onsetSlotsOpened: number;
  /** Σ_i log LR_i at each not-worse-side grid point. */
  logLikelihoodRatiosNotWorse: readonly number[];
  /**
   * log of each side's e-value now (logEValueWorseOf / logMeanExp of the sums above). Kept with the sums they are
   * computed from, so that the evidence of every window reads them instead of summing the grid again.
   */
  logEValueWorse: number;
  logEValueNotWorse: number;
  /** Sticky: the worse-side e-process crossed 1/α at some point. */
  rejectedNotWorse: boolean;
  /** Sticky: the not-worse-side e-process crossed 1/α at some point. */
  rejectedWorse: boolean;
  /** Largest log e-value seen on each side (what Ville's inequality bounds). */
  logEValueWorseMax: number;
  logEValueNotWorseMax: number;
}

export function initialRelativeRiskTest(): RelativeRiskTestState {
  const logLikelihoodRatiosWorse = LOG_OFFSETS.map(() => -Infinity);
  const logLikelihoodRatiosNotWorse = LOG_OFFSETS.map(() => 0);
  return {
    logLikelihoodRatiosWorse,
    informativeWindows: 0,
    onsetSlotsOpened: 0,
    logLikelihoodRatiosNotWorse,
    logEValueWorse: logEValueWorseOf(logLikelihoodRatiosWorse, 0),
    logEValueNotWorse: logMeanExp(logLikelihoodRatiosNotWorse),
    rejectedNotWorse: false,
    rejectedWorse: false,
    logEValueWorseMax: 0,
    logEValueNotWorseMax: 0,
  };
}

export interface WindowEvents {
  /**
   * 1-based onset slot of the window (its minute in the stage, from its start time); non-decreasing. Absent: every
   * informative window is a slot of its own.
   */
  onsetSlot?: number;
  canaryCount: number;
  baselineCount: number;
  canaryEvents: number;
  baselineEvents: number;
}

/**
 * Folds one window into the test. A window without both arms or without any event carries no information.
 *
 * `notWorseBoundaryRho` is the boundary of the not-worse side when it differs from the worse side's 1 + tolerance: the
 * non-inferiority margin with an absolute floor (comparativeJudgment.ts) makes it max(1 + tolerance, 1 + floor / r_b) for
 * an upper estimate of the baseline's rate r_b fixed before this window. Any boundary fixed before the window keeps
 * each factor's conditional mean ≤ 1 under "ρ ≥ that boundary", so the not-worse side stays a test supermartingale.
 *
 * Runs twice per window per comparative gate, so it is written as plain loops over the grid (no closures, iterators
 * or intermediate arrays): judging a window is a few hundred floating-point operations and should not cost more in
 * allocation and garbage collection than in arithmetic.
 */
export function updateRelativeRiskTest(
  state: RelativeRiskTestState,
  window: WindowEvents,
  toleranceRatio: number,
  alpha: number,
  notWorseBoundaryRho: number = 1 + toleranceRatio,
): RelativeRiskTestState {
  const total = window.canaryEvents + window.baselineEvents;
  if (window.canaryCount <= 0 || window.baselineCount <= 0 || total <= 0) return state;
  const share = window.canaryCount / (window.canaryCount + window.baselineCount);
  const boundaryRho = 1 + toleranceRatio;
  const p0 = canaryEventProbability(share, boundaryRho);
  const p0NotWorse = notWorseBoundaryRho === boundaryRho ? p0 : canaryEventProbability(share, notWorseBoundaryRho);
  const x = window.canaryEvents;
  const y = window.baselineEvents;
  // Components of slots k+1 … slot start now: Σ_{j=k+1..slot} 1/(j(j+1)) = 1/(k+1) − 1/(slot+1).
  const opened = state.onsetSlotsOpened;
  const slot = Math.max(window.onsetSlot ?? opened + 1, opened);
  const logOnsetWeight = slot > opened ? Math.log(1 / (opened + 1) - 1 / (slot + 1)) : -Infinity;
  const worse: number[] = [];
  const notWorse: number[] = [];
  for (let k = 0; k < GRID_STEPS; k++) {
    worse.push(windowLogLikelihoodRatio(share, boundaryRho * RATIO_WORSE[k]!, p0, x, y) + logAddExp(state.logLikelihoodRatiosWorse[k]!, logOnsetWeight));
    notWorse.push(state.logLikelihoodRatiosNotWorse[k]! + windowLogLikelihoodRatio(share, notWorseBoundaryRho * RATIO_NOT_WORSE[k]!, p0NotWorse, x, y));
  }
  const logBound = Math.log(1 / alpha);
  const logEWorse = logEValueWorseOf(worse, slot);
  const logENotWorse = logMeanExp(notWorse);
  return {
    logLikelihoodRatiosWorse: worse,
    informativeWindows: state.informativeWindows + 1,
    onsetSlotsOpened: slot,
    logLikelihoodRatiosNotWorse: notWorse,
    logEValueWorse: logEWorse,
    logEValueNotWorse: logENotWorse,
    rejectedNotWorse: state.rejectedNotWorse || logEWorse >= logBound,
    rejectedWorse: state.rejectedWorse || logENotWorse >= logBound,
    logEValueWorseMax: Math.max(state.logEValueWorseMax, logEWorse),
    logEValueNotWorseMax: Math.max(state.logEValueNotWorseMax, logENotWorse),
  };
}

/** log LR of one window at relative risk `rho` against the boundary, whose canary-event probability is `p0`. */
function windowLogLikelihoodRatio(share: number, rho: number, p0: number, canaryEvents: number, baselineEvents: number): number {
  const p = canaryEventProbability(share, rho);
  return canaryEvents * Math.log(p / p0) + baselineEvents * Math.log((1 - p) / (1 - p0));
}

/** log of the worse-side e-value: the grid mixture of the onset sums, plus the weight of onsets still to come. */
function logEValueWorseOf(logOnsetSums: readonly number[], onsetSlotsOpened: number): number {
  // Slots not started yet have total weight Σ_{j>k} 1/(j(j+1)) = 1/(k+1); their components are still 1.
  return logAddExp(logMeanExp(logOnsetSums), -Math.log(onsetSlotsOpened + 1));
}

/** The onset slot of a window that started at `windowStartAt` in a stage entered at `stageEnteredAt` (1-based). */
export function onsetSlotOf(windowStartAt: number, stageEnteredAt: number): number {
  return Math.max(1, Math.floor((windowStartAt - stageEnteredAt) / ONSET_SLOT_MS) + 1);
}

/** P(an event is the canary's) when the canary has share `share` of requests and relative risk `rho`. */
export function canaryEventProbability(share: number, rho: number): number {
  return (share * rho) / (share * rho + (1 - share));
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}

function logMeanExp(values: readonly number[]): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum) - LOG_GRID_SIZE;
}
