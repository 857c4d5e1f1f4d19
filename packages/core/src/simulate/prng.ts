/**
 * A small seeded pseudo-random generator for simulations: xoshiro128** (Blackman & Vigna, 2018) seeded through
 * splitmix32, with the few distributions the traffic simulator needs. Exact samplers only — the judge's guarantees are
 * measured on these draws, so an approximation here would bias the harness:
 *  - Poisson: inversion by sequential search for small means, PTRS (Hörmann 1993, transformed rejection with squeeze)
 *    for means ≥ 10;
 *  - binomial: inversion through geometric waiting times (cost proportional to the smaller of n·p and n·(1 − p)) when
 *    that is below 10, BTRS (Hörmann 1993, transformed rejection with squeeze; constant cost) above — exact for every
 *    n and p;
 *  - standard normal: Box–Muller (both values used).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  normal(): number;
  poisson(mean: number): number;
  binomial(n: number, p: number): number;
}

export function createRandom(seed: number): Random {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextUint32() / 4294967296;
  let spareNormal: number | null = null;
  const normal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    let u = next();
    while (u === 0) u = next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  const random: Random = { next, normal, poisson: (mean) => poisson(random, mean), binomial: (n, p) => binomial(random, n, p) };
  return random;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function poisson(random: Random, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 10) {
    // Inversion by sequential search.
    let k = 0;
    let p = Math.exp(-mean);
    let cumulative = p;
    const u = random.next();
    while (u > cumulative && k < 1_000) {
      k += 1;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random variables" (1993).
  const sqrtMean = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * sqrtMean;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random.next() - 0.5;
    const v = random.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(inverseAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  if (n * p >= 10) return binomialTransformedRejection(random, n, p);
  // Count successes by geometric waiting times between them: exact, O(n·p) draws.
  const logQ = Math.log1p(-p);
  let successes = 0;
  let position = 0;
  for (;;) {
    let u = random.next();
    while (u === 0) u = random.next();
    position += Math.floor(Math.log(u) / logQ) + 1;
    if (position > n) return successes;
    successes += 1;
  }
}

/**
 * BTRS: W. Hörmann, "The generation of binomial random variates", J. Statist. Comput. Simul. 46 (1993) — transformed
 * rejection with a squeeze, exact, about 1.2 uniform pairs per draw whatever n. Needs n·p ≥ 10 and p ≤ ½.
 */
function binomialTransformedRejection(random: Random, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const logOdds = Math.log(p / q);
  const mode = Math.floor((n + 1) * p);
  const h = logFactorial(mode) + logFactorial(n - mode);
  for (;;) {
    const u = random.next() - 0.5;
    let v = random.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= h - logFactorial(k) - logFactorial(n - k) + (k - mode) * logOdds) return k;
  }
}

const LOG_FACTORIAL_TABLE: number[] = [0];
function logFactorial(k: number): number {
  if (k < 256) {
    for (let i = LOG_FACTORIAL_TABLE.length; i <= k; i++) LOG_FACTORIAL_TABLE[i] = LOG_FACTORIAL_TABLE[i - 1]! + Math.log(i);
    return LOG_FACTORIAL_TABLE[k]!;
  }
  // Stirling series; error below 1e-10 for k ≥ 256.
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * k) - 1 / (360 * k ** 3);
}
