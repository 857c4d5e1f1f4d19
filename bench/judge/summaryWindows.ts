import type { Random } from '@sluice/core/judge';
import { LATENCY_MEDIAN_MS, LATENCY_SIGMA, type ArmAt, type Scenario } from './scenarios.js';

/**
 * The harness's fast path: instead of drawing every request's latency into an HdrHistogram (what `sluice simulate`
 * does), it draws each window's *sufficient statistics* for the rules being compared — request count, errors,
 * requests slower than the comparative threshold and requests slower than the presets' 500 ms bound — from their
 * exact joint distribution: Poisson arrivals thinned by the weight, binomial errors, and the slow counts as a
 * sequential multinomial split with the lognormal's exact tail probabilities. No approximation, ~100× faster.
 */
export interface ArmWindow {
  count: number;
  errors: number;
  /** Requests slower than the comparative gate's threshold (the baseline's p95). */
  slowerThanThreshold: number;
  /** Requests slower than 500 ms (the presets' p99 bound). */
  slowerThan500Ms: number;
}

export interface SummaryWindow {
  startMs: number;
  endMs: number;
  baseline: ArmWindow;
  canary: ArmWindow;
}

/** The comparative threshold: the baseline's p95 before any change (what the gate estimates from past windows). */
export const SLOW_THRESHOLD_MS = LATENCY_MEDIAN_MS * Math.exp(LATENCY_SIGMA * 1.6448536269514722);
export const PRESET_LATENCY_MS = 500;

export function drawSummaryWindow(random: Random, scenario: Scenario, startMs: number, windowMs: number): SummaryWindow {
  const mid = startMs + windowMs / 2;
  const swing = scenario.diurnal ? 1 + scenario.diurnal.amplitude * Math.sin((2 * Math.PI * mid) / scenario.diurnal.periodMs) : 1;
  const meanRequests = scenario.requestsPerSecond * swing * (windowMs / 1000);
  const share = scenario.weightPercent / 100;
  return {
    startMs,
    endMs: startMs + windowMs,
    canary: drawArm(random, scenario.canaryAt(mid), random.poisson(meanRequests * share)),
    baseline: drawArm(random, scenario.baselineAt(mid), random.poisson(meanRequests * (1 - share))),
  };
}

function drawArm(random: Random, arm: ArmAt, count: number): ArmWindow {
  const medianMs = LATENCY_MEDIAN_MS * arm.latencyMultiplier;
  const p500 = lognormalTail(PRESET_LATENCY_MS, medianMs);
  const pThreshold = lognormalTail(SLOW_THRESHOLD_MS, medianMs);
  const slowerThan500Ms = random.binomial(count, p500);
  // SLOW_THRESHOLD_MS < 500 ms: the rest of the slow ones lie between the two bounds.
  const between = random.binomial(count - slowerThan500Ms, p500 < 1 ? (pThreshold - p500) / (1 - p500) : 0);
  return { count, errors: random.binomial(count, arm.errorRate), slowerThanThreshold: slowerThan500Ms + between, slowerThan500Ms };
}

/** P(L > x) for L lognormal with the given median and σ = LATENCY_SIGMA. */
export function lognormalTail(xMs: number, medianMs: number): number {
  return 0.5 * erfc(Math.log(xMs / medianMs) / (LATENCY_SIGMA * Math.SQRT2));
}

/** Complementary error function (Numerical Recipes `erfcc`, fractional error below 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
