import { describe, expect, it } from 'vitest';
import { binomialBound, seededRandom } from '../testing/seededRandom.js';
import { createWeightedRouter, SAMPLE_LISTENERS_MAX } from './weightedRouter.js';

describe('weighted router', () => {
  it.each([1, 10, 33.33, 50, 99])('routes about %s%% to the canary (binomial bound, seeded)', (weightPercent) => {
    const router = createWeightedRouter({ weightPercent, random: seededRandom(42) });
    const n = 100_000;
    let canary = 0;
    for (let i = 0; i < n; i++) if (router.route().variant === 'canary') canary++;
    const p = weightPercent / 100;
    expect(Math.abs(canary - n * p)).toBeLessThanOrEqual(binomialBound(n, p));
  });

  it('sends nothing to the canary at 0 and everything at 100', () => {
    const router = createWeightedRouter({ random: () => 0 });
    expect(router.route().variant).toBe('baseline');
    router.setWeight({ weightPercent: 100, generation: 1 });
    for (let i = 0; i < 100; i++) expect(createWeightedRouter({ weightPercent: 100, random: () => 0.9999999 }).route().variant).toBe('canary');
  });

  it('is deterministic for one seed', () => {
    const run = (): string => {
      const router = createWeightedRouter({ weightPercent: 25, random: seededRandom(7) });
      return Array.from({ length: 200 }, () => (router.route().variant === 'canary' ? 'c' : 'b')).join('');
    };
    expect(run()).toBe(run());
  });

  it('keeps a sticky key on one variant, and raising the weight only adds keys to the canary', () => {
    const router = createWeightedRouter({ weightPercent: 10, stickyKey: (r) => r.key });
    const keys = Array.from({ length: 5_000 }, (_, i) => `user-${i}`);
    const at10 = new Set(keys.filter((key) => router.route({ key }).variant === 'canary'));
    for (const key of keys) expect(router.route({ key }).variant).toBe(at10.has(key) ? 'canary' : 'baseline');
    expect(Math.abs(at10.size - 500)).toBeLessThanOrEqual(binomialBound(5_000, 0.1));
    router.setWeight({ weightPercent: 30, generation: 2 });
    const at30 = new Set(keys.filter((key) => router.route({ key }).variant === 'canary'));
    for (const key of at10) expect(at30.has(key)).toBe(true);
    expect(at30.size).toBeGreaterThan(at10.size);
  });

  it('honours the override header at any weight', () => {
    const router = createWeightedRouter({ weightPercent: 0 });
    expect(router.route({ headers: { 'x-sluice-variant': 'canary' } })).toEqual({ variant: 'canary', reason: 'override' });
    expect(router.route({ headers: { 'x-sluice-variant': 'always' } }).variant).toBe('canary');
    router.setWeight({ weightPercent: 100, generation: 1 });
    expect(router.route({ headers: { 'x-sluice-variant': 'baseline' } }).variant).toBe('baseline');
    expect(router.route({ headers: { 'x-sluice-variant': 'never' } }).variant).toBe('baseline');
    expect(router.route({ headers: { 'x-sluice-variant': 'bogus' } })).toEqual({ variant: 'canary', reason: 'weighted' });
    const noOverride = createWeightedRouter({ weightPercent: 0, overrideHeader: null });
    expect(noOverride.route({ headers: { 'x-sluice-variant': 'canary' } }).variant).toBe('baseline');
  });

  it('rounds weights to two decimals and rejects out-of-range states', () => {
    const router = createWeightedRouter();
    expect(router.setWeight({ weightPercent: 12.345, generation: 3 })).toEqual({ weightPercent: 12.35, generation: 3 });
    expect(() => router.setWeight({ weightPercent: 101, generation: 4 })).toThrow(/0–100/);
    expect(() => router.setWeight({ weightPercent: 1, generation: -1 })).toThrow(/generation/);
    expect(router.current()).toEqual({ weightPercent: 12.35, generation: 3 });
  });

  it('delivers samples to listeners until they unsubscribe, with a bounded listener count', () => {
    const router = createWeightedRouter({ now: () => 1_000 });
    const seen: unknown[] = [];
    const off = router.onSample((s) => seen.push(s));
    router.recordOutcome({ variant: 'canary', ok: false, latencyMs: 12 });
    off();
    router.recordOutcome({ variant: 'baseline', ok: true, latencyMs: 3 });
    expect(seen).toEqual([{ variant: 'canary', at: 1_000, ok: false, latencyMs: 12 }]);
    for (let i = 0; i < SAMPLE_LISTENERS_MAX; i++) router.onSample(() => undefined);
    expect(() => router.onSample(() => undefined)).toThrow(/sample listeners/);
  });
});
