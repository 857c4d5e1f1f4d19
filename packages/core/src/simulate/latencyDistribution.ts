import type { Random } from './prng.js';

/**
 * Latency distributions of the traffic model: a lognormal, or a mixture of lognormals (a cache with hits and misses is
 * bimodal; a small wide component gives a heavy tail). Quantiles are exact up to the bisection's tolerance, so the
 * binned sampler and `sluice plan` read the same distribution the exact sampler draws from.
 */
export interface LognormalLatency {
  median: number;
  sigma: number;
}
export interface LatencyComponent {
  weight: number;
  lognormal: LognormalLatency;
}
export type LatencyDistribution = { lognormal: LognormalLatency } | { mixture: readonly LatencyComponent[] };

/** The components of a distribution, weights normalised to sum to 1. */
export function latencyComponents(distribution: LatencyDistribution): LatencyComponent[] {
  if ('lognormal' in distribution) return [{ weight: 1, lognormal: distribution.lognormal }];
  const total = distribution.mixture.reduce((sum, c) => sum + c.weight, 0);
  return distribution.mixture.map((c) => ({ weight: c.weight / total, lognormal: c.lognormal }));
}

/** One latency draw, ms, with every median multiplied by `multiplier`. */
export function drawLatencyMs(random: Random, components: readonly LatencyComponent[], multiplier: number): number {
  let component = components[0]!;
  if (components.length > 1) {
    let u = random.next();
    for (const c of components) {
      component = c;
      u -= c.weight;
      if (u < 0) break;
    }
  }
  return component.lognormal.median * multiplier * Math.exp(component.lognormal.sigma * random.normal());
}

/** P(latency ≤ xMs). */
export function latencyCdf(components: readonly LatencyComponent[], xMs: number, multiplier = 1): number {
  if (xMs <= 0) return 0;
  let p = 0;
  for (const c of components) {
    const median = c.lognormal.median * multiplier;
    const sigma = c.lognormal.sigma;
    p += c.weight * (sigma === 0 ? (xMs >= median ? 1 : 0) : standardNormalCdf(Math.log(xMs / median) / sigma));
  }
  return p;
}

/** The q-quantile of the distribution, ms (0 < q < 1). */
export function latencyQuantileMs(components: readonly LatencyComponent[], q: number, multiplier = 1): number {
  if (components.length === 1) {
    const { median, sigma } = components[0]!.lognormal;
    return median * multiplier * Math.exp(sigma * standardNormalQuantile(q));
  }
  // Bisection on the log scale between the components' extreme quantiles: 60 halvings reach double precision.
  let low = Infinity;
  let high = 0;
  for (const c of components) {
    const { median, sigma } = c.lognormal;
    low = Math.min(low, median * multiplier * Math.exp(sigma * standardNormalQuantile(Math.min(q, 1e-12))));
    high = Math.max(high, median * multiplier * Math.exp(sigma * standardNormalQuantile(Math.max(q, 1 - 1e-12))));
  }
  let logLow = Math.log(low);
  let logHigh = Math.log(high);
  for (let i = 0; i < 60; i++) {
    const mid = (logLow + logHigh) / 2;
    if (latencyCdf(components, Math.exp(mid), multiplier) < q) logLow = mid;
    else logHigh = mid;
  }
  return Math.exp((logLow + logHigh) / 2);
}

/** Φ(x), by the complementary error function (W. J. Cody's rational approximation through erfc; |error| < 1.2e-7). */
export function standardNormalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfc with Chebyshev fitting, fractional error < 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Φ⁻¹(p), P. J. Acklam's algorithm (relative error < 1.15e-9). */
export function standardNormalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
