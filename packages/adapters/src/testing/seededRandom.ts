/** mulberry32: a small seeded PRNG for deterministic tests. Not for anything else. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Half-width of a ±z·σ band around n·p for a binomial count (z = 5 makes a false failure about 1 in 1.7 million). */
export function binomialBound(n: number, p: number, z = 5): number {
  return z * Math.sqrt(n * p * (1 - p));
}
