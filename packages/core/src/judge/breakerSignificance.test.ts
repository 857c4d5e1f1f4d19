import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewInputEvent, Verdict } from '../events/eventTypes.js';
import { createRandom, type Random } from '../simulate/prng.js';
import { variantWindowOf } from '../simulate/variantWindow.js';
import { gateSchema } from '../spec/gateSchema.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import type { VariantWindow } from '../window.js';
import { blockPValue, earlySignificantPValue } from './breaker.js';
import type { GateContext } from './gate.js';
import { gateEvaluatorFor } from './registry.js';

/**
 * The breakers' significance test as properties: a healthy canary well under its bound never fails, a catastrophic one
 * fails within a few blocks, and `confidence: 0` judges exactly as the observed-value breakers always did. Streams are
 * drawn from seeded generators, so every run checks the same cases.
 */
const WINDOW_MS = 5_000;
const context: GateContext = { stage: { name: 'canary' } as StageSpec, stageIndex: 0, stageEnteredAt: 0, weightAppliedPercent: 1, weightAppliedAt: 0, windowMs: WINDOW_MS, stageElapsedMs: null };
const EMPTY_BASELINE: VariantWindow = { count: 0, errors: 0, latencyHistogram: '' };
/** The canary stage of the default template at 200 requests/s: 1% is ~10 canary requests per 5 s window. */
const CANARY_REQUESTS_PER_WINDOW = 10;

/** Encoded windows of `count` requests of which `slow` take 3 s and the rest 40 ms, encoded once each. */
const latencyWindows = new Map<string, VariantWindow>();
function canaryWindow(count: number, errors: number, slow: number): VariantWindow {
  // The error breaker never reads the histogram; only the latency breaker's windows need one.
  if (slow < 0) return { count, errors, latencyHistogram: '' };
  const key = `${count}/${errors}/${slow}`;
  let window = latencyWindows.get(key);
  if (window === undefined) {
    window = variantWindowOf(count, errors, [[40, count - slow], [3_000, slow]]);
    latencyWindows.set(key, window);
  }
  return window;
}

function event(i: number, canary: VariantWindow): NewInputEvent {
  return { type: 'samples.window', at: (i + 1) * WINDOW_MS, data: { windowStartAt: i * WINDOW_MS, windowEndAt: (i + 1) * WINDOW_MS, baseline: EMPTY_BASELINE, canary } };
}

/** Verdicts of one gate over `windows` windows drawn by `draw`. */
function verdictsOf(config: GateConfig, windows: number, draw: (i: number) => VariantWindow): Verdict[] {
  const evaluator = gateEvaluatorFor(config.kind);
  let state = evaluator.init(config, context);
  const verdicts: Verdict[] = [];
  for (let i = 0; i < windows; i++) {
    const out = evaluator.observe(config, state, event(i, draw(i)), context)!;
    state = out.state;
    verdicts.push(out.result.verdict);
  }
  return verdicts;
}

/** Windows of Poisson(10) canary requests, each an error with probability `errorRate`. */
const errorWindows = (random: Random, errorRate: number) => () => {
  const count = random.poisson(CANARY_REQUESTS_PER_WINDOW);
  return canaryWindow(count, random.binomial(count, errorRate), -1);
};
/** Windows of Poisson(10) canary requests, each slow (3 s) with probability `slowShare`. */
const slowWindows = (random: Random, slowShare: number) => () => {
  const count = random.poisson(CANARY_REQUESTS_PER_WINDOW);
  return canaryWindow(count, 0, random.binomial(count, slowShare));
};

const firstFailOf = (verdicts: Verdict[]) => verdicts.indexOf('fail');
const seeds = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('earlySignificantPValue', () => {
  it('is the p-value exactly when the block is significant, with or without its shortcut (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (n, kRaw, share, confidence) => {
        const k = Math.min(kRaw, n);
        const pValue = blockPValue(k, n, share);
        expect(earlySignificantPValue(k, n, share, confidence)).toBe(pValue < 1 - confidence ? pValue : null);
      }),
      { seed: 20261124, numRuns: 2_000 },
    );
  });
});

describe('errorRate breaker, default canary settings (maxPercent 20, samplesMin 20, confidence 0.99)', () => {
  const config = gateSchema.parse({ kind: 'errorRate', maxPercent: 20, samplesMin: 20 });

  it('never fails an A/A canary at 5% errors (the rate that failed one block in 250 before), over 400 windows a seed (property)', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        expect(firstFailOf(verdictsOf(config, 400, errorWindows(createRandom(seed), 0.05)))).toBe(-1);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('fails a canary at 50% errors within six blocks of 20 requests (property)', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const first = firstFailOf(verdictsOf(config, 12, errorWindows(createRandom(seed), 0.5)));
        expect(first).toBeGreaterThanOrEqual(0);
      }),
      { seed: 2, numRuns: 100 },
    );
  });
});

describe('latency breaker, default canary settings (p90 ≤ 2 s, samplesMin 50, confidence 0.99)', () => {
  const config = gateSchema.parse({ kind: 'latency', quantile: 0.9, maxMs: 2_000, samplesMin: 50 });

  it('never fails a canary with 3% of requests over the bound (10% may be), over 200 windows a seed (property)', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        expect(firstFailOf(verdictsOf(config, 200, slowWindows(createRandom(seed), 0.03)))).toBe(-1);
      }),
      { seed: 3, numRuns: 30 },
    );
  });

  it('fails a canary with half its requests over the bound within five windows (property)', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const first = firstFailOf(verdictsOf(config, 5, slowWindows(createRandom(seed), 0.5)));
        expect(first).toBeGreaterThanOrEqual(0);
      }),
      { seed: 4, numRuns: 100 },
    );
  });
});

/**
 * The observed-value breakers as they were, written out: pool windows into a block until it holds samplesMin canary
 * requests; judge it earlier when its bad requests already decide a samplesMin-sample block; fail after
 * sustainWindows failing blocks in a row.
 */
function observedValueVerdicts(
  windows: ReadonlyArray<{ count: number; bad: number }>,
  samplesMin: number,
  sustainWindows: number,
  earlyFailing: (bad: number) => boolean,
  fullFailing: (bad: number, count: number) => boolean,
): Verdict[] {
  let count = 0;
  let bad = 0;
  let streak = 0;
  let last: 'ok' | 'failing' | null = null;
  return windows.map((w) => {
    count += w.count;
    bad += w.bad;
    const full = count >= samplesMin && count > 0;
    if (full || (count > 0 && earlyFailing(bad))) {
      const failing = full ? fullFailing(bad, count) : true;
      streak = failing ? streak + 1 : 0;
      last = failing ? 'failing' : 'ok';
      count = 0;
      bad = 0;
    }
    return streak >= sustainWindows ? 'fail' : last === 'ok' ? 'pass' : 'inconclusive';
  });
}

/** The rank HdrHistogram's getValueAtPercentile reads: ⌈q·n⌉, less one ulp of q·n so that 0.9 × 20 is 18. */
function hdrRank(quantile: number, n: number): number {
  const exact = (Math.min(quantile * 100, 100) / 100) * n;
  return Math.max(Math.ceil(exact - 2 ** (Math.floor(Math.log2(exact)) - 52)), 1);
}

describe('confidence: 0 judges on observed values, as the breakers always did', () => {
  const windowsArbitrary = fc.array(fc.record({ count: fc.integer({ min: 0, max: 30 }), badPercent: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 40 });
  const sizes = fc.record({ samplesMin: fc.integer({ min: 0, max: 60 }), sustainWindows: fc.integer({ min: 1, max: 3 }) });

  it('errorRate: a block fails when its rate over max(count, samplesMin) exceeds maxPercent (property)', () => {
    fc.assert(
      fc.property(windowsArbitrary, sizes, fc.constantFrom(0, 5, 20, 50, 100), (raw, { samplesMin, sustainWindows }, maxPercent) => {
        const windows = raw.map((w) => ({ count: w.count, bad: Math.round((w.count * w.badPercent) / 100) }));
        const config = gateSchema.parse({ kind: 'errorRate', maxPercent, samplesMin, sustainWindows, confidence: 0 });
        const expected = observedValueVerdicts(windows, samplesMin, sustainWindows, (bad) => samplesMin > 0 && 100 * bad > maxPercent * samplesMin, (bad, count) => 100 * bad > maxPercent * count);
        expect(verdictsOf(config, windows.length, (i) => canaryWindow(windows[i]!.count, windows[i]!.bad, -1))).toEqual(expected);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('latency: a block fails when its quantile (HdrHistogram rank ⌈q·n⌉) is over maxMs (property)', () => {
    fc.assert(
      fc.property(windowsArbitrary, sizes, fc.constantFrom(0.5, 0.9, 0.99), (raw, { samplesMin, sustainWindows }, quantile) => {
        const windows = raw.map((w) => ({ count: w.count, bad: Math.round((w.count * w.badPercent) / 100) }));
        const config = gateSchema.parse({ kind: 'latency', quantile, maxMs: 500, samplesMin, sustainWindows, confidence: 0 });
        const expected = observedValueVerdicts(windows, samplesMin, sustainWindows, (slow) => slow > samplesMin - Math.ceil(quantile * samplesMin), (slow, count) => slow > count - hdrRank(quantile, count));
        expect(verdictsOf(config, windows.length, (i) => canaryWindow(windows[i]!.count, 0, windows[i]!.bad))).toEqual(expected);
      }),
      { seed: 6, numRuns: 200 },
    );
  });
});

describe('earlySamplesMin (Judge II)', () => {
  const config = gateSchema.parse({ kind: 'errorRate', maxPercent: 20, samplesMin: 20 });
  // One canary request per window, as at 0.2 canary requests/s.
  const oneAtATime = (errors: number) => (i: number) => canaryWindow(1, i < errors ? 1 : 0, -1);

  it('does not fail a block on its first few requests: 3 errors in 3 is p = 0.008, but only 3 requests', () => {
    expect(config).toMatchObject({ earlySamplesMin: 6 });
    expect(verdictsOf(config, 5, oneAtATime(3))).not.toContain('fail');
  });

  it('still fails a block early once it holds earlySamplesMin requests, and a catastrophic first window', () => {
    expect(verdictsOf(config, 6, oneAtATime(5)).at(-1)).toBe('fail'); // 5 of 6: p = 0.0016
    expect(verdictsOf(config, 1, () => canaryWindow(10, 7, -1))).toEqual(['fail']);
  });

  it('a spec stored before the field judges every look, as it did', () => {
    const { earlySamplesMin: _early, ...old } = config as Extract<GateConfig, { kind: 'errorRate' }>;
    expect(verdictsOf(old as GateConfig, 3, oneAtATime(3)).at(-1)).toBe('fail');
  });
});

