import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundForEvidence } from './windowStats.js';

/** What roundForEvidence always returned; decisions recorded with it must replay to the same numbers. */
const throughString = (value: number, digits: number): number => (Number.isFinite(value) ? Number(value.toPrecision(digits)) : value);

describe('roundForEvidence', () => {
  it('equals Number(value.toPrecision(digits)) for any double (property)', () => {
    fc.assert(
      fc.property(fc.double(), fc.integer({ min: 1, max: 12 }), (value, digits) => {
        expect(Object.is(roundForEvidence(value, digits), throughString(value, digits))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('equals it for evidence-sized numbers at 4 and 6 digits, and next to ties and powers of ten', () => {
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) values.push(Math.exp(Math.sin(i) * 20) * (i % 2 ? -1 : 1));
    for (let exponent = -12; exponent <= 12; exponent++) {
      for (const mantissa of [1, 1.5, 2.5, 9.99999, 9.999995, 9.9999995, 1.000005, 1.00005, 1.234565, 4.0615]) {
        const value = mantissa * 10 ** exponent;
        // Neighbours a few ulps apart straddle the tie or the power of ten.
        let below = value;
        let above = value;
        for (let step = 0; step < 4; step++) {
          below = nextDown(below);
          above = nextUp(above);
          values.push(below, above);
        }
        values.push(value, -value);
      }
    }
    // Exact ties (toPrecision rounds them up) and the extremes.
    for (const value of [123456.5, 100000.5, 999999.5, 12345.25, 1234.125, 0.125, 2.5, 99995, 0, -0, 5e-324, -5e-324, Number.MAX_VALUE, Number.MIN_VALUE, 1e21, 1e22, 1e23, 0.1 + 0.2, 100, Math.log(100)]) values.push(value);
    for (const digits of [4, 6]) {
      for (const value of values) expect([value, Object.is(roundForEvidence(value, digits), throughString(value, digits))]).toEqual([value, true]);
    }
  });

  it('leaves non-finite numbers as they are', () => {
    expect(roundForEvidence(Number.NaN)).toBeNaN();
    expect(roundForEvidence(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});

function nextUp(value: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, value >= 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function nextDown(value: number): number {
  return -nextUp(-value);
}
