import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, retryWithBackoff, type BackoffPolicy } from './retry.js';

const policy = { attemptsMax: 4, delayMsInitial: 100, delayMsMax: 300, multiplier: 2, jitterRatio: 0.5 };

describe('backoffDelayMs, the one backoff', () => {
  it('grows by the multiplier up to the cap; random 0 gives the fixed share, random near 1 the whole base', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(policy, a, () => 0))).toEqual([50, 100, 150, 150]);
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(policy, a, () => 0.999999))).toEqual([100, 200, 300, 300]);
    expect(backoffDelayMs({ ...policy, jitterRatio: 0 }, 2, () => 0.7)).toBe(200);
    expect(backoffDelayMs({ ...policy, jitterRatio: 1 }, 2, () => 0)).toBe(0);
  });

  it('stays within [(1 − jitterRatio) × base, base] for every policy, attempt and random draw', () => {
    const policies = fc.record({
      delayMsInitial: fc.integer({ min: 0, max: 60_000 }),
      delayMsMax: fc.integer({ min: 0, max: 300_000 }),
      multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
      jitterRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(policies, fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (p: BackoffPolicy, attempt, r) => {
        const base = p.delayMsInitial === 0 ? 0 : Math.min(p.delayMsMax, p.delayMsInitial * p.multiplier ** (attempt - 1));
        const delay = backoffDelayMs(p, attempt, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(Math.floor((1 - p.jitterRatio) * base));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base));
      }),
    );
  });

  it('spreads delays uniformly over the jittered range (equal jitter: mean 3/4 of the base, both ends reached)', () => {
    // A seeded generator, so the test is deterministic; 20,000 draws put the mean within ±1% of 750 by far.
    let state = 12345;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const draws = Array.from({ length: 20_000 }, () => backoffDelayMs({ delayMsInitial: 1_000, delayMsMax: 30_000, multiplier: 2, jitterRatio: 0.5 }, 1, random));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(742);
    expect(mean).toBeLessThan(758);
    expect(Math.min(...draws)).toBeLessThan(505);
    expect(Math.max(...draws)).toBeGreaterThan(995);
    // Each tenth of the range holds about a tenth of the draws (uniform, not bunched at one end).
    const deciles = new Array<number>(10).fill(0);
    for (const d of draws) deciles[Math.min(9, Math.floor((d - 500) / 50))]!++;
    for (const count of deciles) expect(count).toBeGreaterThan(1_700);
  });

  it('is capped for attempts far past the cap (no Infinity, no NaN)', () => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 5_000, () => 0.5)).toBe(1_500);
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 0, () => 0)).toBe(50);
  });
});

describe('retryWithBackoff', () => {
  it('stops after attemptsMax and does not retry non-retryable errors', async () => {
    const delays: number[] = [];
    let calls = 0;
    const sleep = async (ms: number): Promise<void> => void delays.push(ms);
    await expect(retryWithBackoff(policy, async () => Promise.reject(new Error(`fail ${++calls}`)), { sleep, random: () => 0 })).rejects.toThrow('fail 4');
    expect(delays).toEqual([50, 100, 150]);
    calls = 0;
    await expect(retryWithBackoff(policy, async () => Promise.reject(new Error(`fail ${++calls}`)), { sleep, isRetryable: () => false })).rejects.toThrow('fail 1');
    expect(await retryWithBackoff(policy, async (attempt) => (attempt < 3 ? Promise.reject(new Error('x')) : attempt), { sleep })).toBe(3);
  });
});
