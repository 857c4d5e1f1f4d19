import { describe, expect, it } from 'vitest';
import { createRandom } from './prng.js';

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

describe('createRandom', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const c = createRandom(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  // Moments over 20,000 draws: the tolerances are ~5 standard errors, so a correct sampler fails with negligible odds.
  it.each([
    ['poisson 3', (r: ReturnType<typeof createRandom>) => r.poisson(3), 3, 3],
    ['poisson 250 (PTRS)', (r: ReturnType<typeof createRandom>) => r.poisson(250), 250, 250],
    ['binomial 1000 × 1%', (r: ReturnType<typeof createRandom>) => r.binomial(1000, 0.01), 10, 9.9],
    ['binomial 40 × 70%', (r: ReturnType<typeof createRandom>) => r.binomial(40, 0.7), 28, 8.4],
    ['binomial 10,000 × 5% (BTRS)', (r: ReturnType<typeof createRandom>) => r.binomial(10_000, 0.05), 500, 475],
    ['binomial 200 × 70% (BTRS)', (r: ReturnType<typeof createRandom>) => r.binomial(200, 0.7), 140, 42],
    ['normal', (r: ReturnType<typeof createRandom>) => r.normal(), 0, 1],
  ] as const)('%s has the right mean and variance', (_name, draw, mean, variance) => {
    const random = createRandom(12345);
    const n = 20_000;
    const m = moments(() => draw(random), n);
    expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(Math.abs(m.variance - variance)).toBeLessThan(0.1 * variance);
  });

  it('draws the exact binomial law where the transformed-rejection sampler takes over (n·p ≥ 10)', () => {
    // Total variation distance to the exact pmf over 200,000 draws of Bin(60, 0.25): sampling noise alone gives ~0.005.
    const n = 60;
    const p = 0.25;
    const random = createRandom(99);
    const draws = 200_000;
    const counts = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i++) counts[random.binomial(n, p)]! += 1;
    let pmf = (1 - p) ** n;
    let distance = 0;
    for (let k = 0; k <= n; k++) {
      distance += Math.abs(counts[k]! / draws - pmf);
      pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    }
    expect(distance / 2).toBeLessThan(0.01);
  });
});
