/**
 * The Wilson score interval of a binomial proportion, in percent: the confidence band drawn around a window's canary
 * error rate. Wilson rather than the normal approximation because windows of a 1% canary hold ~10 requests, where
 * "rate ± 1.96·√(p(1−p)/n)" collapses to zero width at 0 errors and runs below 0%.
 */
export const WILSON_Z_95 = 1.959963984540054;

export function wilsonIntervalPercent(events: number, count: number, z = WILSON_Z_95): { lowPercent: number; highPercent: number } | null {
  if (count <= 0) return null;
  const p = events / count;
  const z2 = z * z;
  const denominator = 1 + z2 / count;
  const centre = (p + z2 / (2 * count)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / count + z2 / (4 * count * count))) / denominator;
  return { lowPercent: Math.max(0, centre - half) * 100, highPercent: Math.min(1, centre + half) * 100 };
}
