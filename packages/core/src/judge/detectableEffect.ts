import { canaryEventProbability, LOG_OFFSETS } from './relativeRiskTest.js';

/**
 * Analytic side of the plan: how many events a comparative gate needs to fail a canary whose relative risk is `rho`,
 * and from that the smallest regression a stage can detect. Approximation, said so in the plan: the gate's log e-value
 * after E events is a sum of E per-event log likelihood ratios, taken as normal with the mean and variance of a Poisson
 * number of events; the regression is present from the stage's start (onset weight ½), and the best component of the
 * 13-point effect grid carries the e-value (the mixture over the grid costs ln 13). Power 90%: the gate fails within
 * the stage in 9 runs out of 10 when the mean minus 1.28 standard deviations reaches the bound.
 */
const Z_POWER = 1.2816;
const LOG_GRID = Math.log(LOG_OFFSETS.length);
const LOG_ONSET = Math.log(2);

/**
 * Expected total events (canary + baseline) for the worse-side e-process to reach 1/α with 90% power, when the canary
 * has share `share` of requests and relative risk `rho` against a boundary 1 + tolerance; Infinity when rho is not
 * above the boundary (the gate cannot fail it, by design).
 */
export function eventsToDetect(share: number, rho: number, tolerance: number, alpha: number, z = Z_POWER): number {
  const boundary = 1 + tolerance;
  if (!(rho > boundary) || share <= 0 || share >= 1) return Infinity;
  const pTrue = canaryEventProbability(share, rho);
  const p0 = canaryEventProbability(share, boundary);
  const bound = Math.log(1 / alpha) + LOG_GRID + LOG_ONSET;
  let best = Infinity;
  for (const offset of LOG_OFFSETS) {
    const p1 = canaryEventProbability(share, boundary * Math.exp(offset));
    const up = Math.log(p1 / p0);
    const down = Math.log((1 - p1) / (1 - p0));
    const drift = pTrue * up + (1 - pTrue) * down;
    if (!(drift > 0)) continue;
    const secondMoment = pTrue * up * up + (1 - pTrue) * down * down;
    // Smallest x = √E with drift·x² − z·√(secondMoment)·x − bound ≥ 0.
    const b = z * Math.sqrt(secondMoment);
    const x = (b + Math.sqrt(b * b + 4 * drift * bound)) / (2 * drift);
    best = Math.min(best, x * x);
  }
  return best;
}

/**
 * Expected events in a stage of `durationMs` at `requestsPerSecond` and canary share `share`, when the baseline's
 * per-request event probability is `baselineShare` and the canary's is `baselineShare · rho`.
 */
export function expectedEvents(requestsPerSecond: number, durationMs: number, share: number, baselineShare: number, rho: number): number {
  const requests = (requestsPerSecond * durationMs) / 1000;
  return requests * baselineShare * ((1 - share) + share * rho);
}

/** Whether a canary with relative risk `rho` is failed within the stage with 90% power. */
export function isDetectable(requestsPerSecond: number, durationMs: number, share: number, baselineShare: number, rho: number, tolerance: number, alpha: number): boolean {
  return expectedEvents(requestsPerSecond, durationMs, share, baselineShare, rho) >= eventsToDetect(share, rho, tolerance, alpha);
}

/**
 * The smallest multiplier (of the canary's event rate, or of its latency through `rhoOf`) in [lowest, highest] that a
 * stage detects with 90% power; null when not even `highest` is. Detectability grows with the multiplier, so a scan
 * on a log grid then bisection finds the edge.
 */
export function smallestDetectable(isDetected: (multiplier: number) => boolean, lowest: number, highest: number): number | null {
  if (!(highest > lowest) || !isDetected(highest)) return null;
  let low = lowest;
  let high = highest;
  if (isDetected(low)) return low;
  for (let i = 0; i < 50; i++) {
    const mid = Math.sqrt(low * high);
    if (isDetected(mid)) high = mid;
    else low = mid;
    if (high / low < 1.001) break;
  }
  return high;
}

/**
 * Time for a stage to fail a canary with relative risk `rho`, ms: the median (`power` 0.5) or the time by which it
 * fails with 90% power (`power` 0.9); Infinity when it cannot.
 */
export function timeToDetectMs(requestsPerSecond: number, share: number, baselineShare: number, rho: number, tolerance: number, alpha: number, power: 0.5 | 0.9 = 0.9): number {
  const events = eventsToDetect(share, rho, tolerance, alpha, power === 0.5 ? 0 : Z_POWER);
  const perMs = expectedEvents(requestsPerSecond, 1, share, baselineShare, rho);
  return perMs > 0 ? events / perMs : Infinity;
}

/**
 * From a stage's observed counts: the smallest relative risk (canary rate ÷ baseline rate) the gate would have failed
 * by now with 90% power, had the canary been that much worse from the start; null when not even 100× would have been
 * (or the baseline has no events to tell). What a pass on "no evidence of harm" could have seen, for its evidence.
 */
export function detectableRelativeRiskOf(
  totals: { canaryCount: number; baselineCount: number; baselineEvents: number },
  tolerance: number,
  alpha: number,
): number | null {
  const { canaryCount, baselineCount, baselineEvents } = totals;
  if (canaryCount <= 0 || baselineCount <= 0 || baselineEvents <= 0) return null;
  const share = canaryCount / (canaryCount + baselineCount);
  const canaryEventsPerRho = (canaryCount * baselineEvents) / baselineCount;
  return smallestDetectable((rho) => baselineEvents + canaryEventsPerRho * rho >= eventsToDetect(share, rho, tolerance, alpha), 1.0001, 100);
}
