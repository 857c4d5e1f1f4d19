import { logBeta } from './logGamma.js';

/**
 * P(X ≥ k) for X ~ Binomial(n, p): the p-value of k or more bad requests out of n when each is bad with probability
 * at most p. The absolute breakers use it to tell "above the limit" from "a few unlucky requests": 5 errors in 22
 * requests is 23%, but a service at 5% errors produces that about once in 250 blocks — several times a stage.
 *
 * Computed as the regularized incomplete beta I_p(k, n − k + 1) with Lentz's continued fraction (Numerical Recipes
 * §6.4), so the cost does not grow with n: a block of 50,000 canary requests costs as much as one of 20.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0) throw new RangeError(`binomialUpperTail needs integers k and n ≥ 0, got k=${k}, n=${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialUpperTail needs 0 ≤ p ≤ 1, got ${p}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  return regularizedIncompleteBeta(p, k, n - k + 1);
}

/** I_x(a, b) for a, b > 0 and 0 < x < 1. */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

const ITERATIONS_MAX = 300;
const EPSILON = 1e-15;
const TINY = 1e-300;

function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= ITERATIONS_MAX; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return h;
  }
  // Not reached for the arguments the breakers pass (a, b ≤ ~10^7 converge in well under 300 steps); say so if it is.
  throw new Error(`assertion: incomplete beta did not converge for x=${x}, a=${a}, b=${b}`);
}
