import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialUpperTail } from './binomialTail.js';

/** P(X ≥ k) by summing the probability mass function term by term, in logs so that no term underflows (n ≤ 200). */
function bySummation(k: number, n: number, p: number): number {
  const logFactorial = [0];
  for (let i = 1; i <= n; i++) logFactorial.push(logFactorial[i - 1]! + Math.log(i));
  let tail = 0;
  for (let i = Math.max(0, k); i <= n; i++) {
    tail += Math.exp(logFactorial[n]! - logFactorial[i]! - logFactorial[n - i]! + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, tail);
}

describe('binomialUpperTail', () => {
  it('gives known values', () => {
    // 5 or more errors in 22 requests at a 5% rate: 0.402% (R: pbinom(4, 22, 0.05, lower.tail = FALSE)).
    expect(binomialUpperTail(5, 22, 0.05)).toBeCloseTo(0.0040223353, 9);
    // A fair coin: P(X ≥ 6 of 10) = 386/1024.
    expect(binomialUpperTail(6, 10, 0.5)).toBeCloseTo(386 / 1024, 12);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(3, 10, 0)).toBe(0);
    expect(binomialUpperTail(3, 10, 1)).toBe(1);
  });

  it('matches summation of the mass function (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 200 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (n, kRaw, p) => {
        const k = kRaw % (n + 2);
        const expected = bySummation(k, n, p);
        const actual = binomialUpperTail(k, n, p);
        expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 + 1e-7 * expected);
      }),
    );
  });

  it('stays finite and monotone for large blocks', () => {
    const n = 50_000;
    const at = (k: number) => binomialUpperTail(k, n, 0.2);
    expect(at(10_000)).toBeGreaterThan(0.4);
    expect(at(10_000)).toBeLessThan(0.6);
    expect(at(10_400)).toBeLessThan(at(10_200));
    expect(at(11_000)).toBeLessThan(1e-12);
  });

  it('refuses arguments that are not a binomial tail', () => {
    expect(() => binomialUpperTail(1.5, 10, 0.1)).toThrow(RangeError);
    expect(() => binomialUpperTail(1, 10, 1.5)).toThrow(RangeError);
    expect(() => binomialUpperTail(1, -1, 0.1)).toThrow(RangeError);
  });
});
