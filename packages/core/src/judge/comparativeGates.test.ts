import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewInputEvent } from '../events/eventTypes.js';
import { gateSchema } from '../spec/gateSchema.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import { uniformSampleWindow, variantWindowOf } from '../simulate/variantWindow.js';
import type { GateContext, GateResult } from './gate.js';
import { gateEvaluatorFor } from './registry.js';
import { initialRelativeRiskTest, updateRelativeRiskTest } from './relativeRiskTest.js';

const WINDOW_MS = 5_000;
const context: GateContext = { stage: { name: 'ramp' } as StageSpec, stageIndex: 1, stageEnteredAt: 0, weightAppliedPercent: 10, weightAppliedAt: 0, windowMs: WINDOW_MS, stageElapsedMs: null };

type Arm = { count: number; errors: number; latencyMs?: number };
function windowEvent(i: number, baseline: Arm, canary: Arm): NewInputEvent {
  const data = uniformSampleWindow(i * WINDOW_MS, WINDOW_MS, { latencyMs: 40, ...baseline }, { latencyMs: 40, ...canary });
  return { type: 'samples.window', at: data.windowEndAt, data };
}

function run(config: GateConfig, events: NewInputEvent[], ctx: GateContext = context): GateResult[] {
  const evaluator = gateEvaluatorFor(config.kind);
  let state = evaluator.init(config, ctx);
  const results: GateResult[] = [];
  for (const event of events) {
    const out = evaluator.observe(config, state, event, ctx);
    if (out) {
      state = out.state;
      results.push(out.result);
    }
  }
  return results;
}

const repeat = (n: number, make: (i: number) => NewInputEvent): NewInputEvent[] => Array.from({ length: n }, (_, i) => make(i));

describe('compareErrorRate', () => {
  const config = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.2 });

  it('fails a canary with three times the baseline error rate, with the evidence the decision needs', () => {
    const results = run(config, repeat(60, (i) => windowEvent(i, { count: 900, errors: 9 }, { count: 100, errors: 3 })));
    const last = results.at(-1)!;
    expect(last.verdict).toBe('fail');
    expect(last.evidence).toMatchObject({ canaryCount: 6000, canaryEvents: 180, baselineCount: 54000, baselineEvents: 540, alpha: 0.01, tolerance: 0.2, bound: 100 });
    expect(last.evidence.logEValueWorseMax as number).toBeGreaterThanOrEqual(Math.log(100));
    expect(last.evidence.summary).toMatch(/worse than 120% of baseline with confidence 0.99/);
  });

  it('passes (non-inferiority) when the canary matches the baseline over many errors, and not before samplesMin', () => {
    const strict = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.2, samplesMin: 1_000_000 });
    const events = repeat(1000, (i) => windowEvent(i, { count: 900, errors: 9 }, { count: 100, errors: 1 }));
    expect(run(config, events).at(-1)?.verdict).toBe('pass');
    expect(run(strict, events).at(-1)?.verdict).toBe('inconclusive');
  });

  it('is inconclusive with few events, and windows without errors change nothing (no data is never a pass)', () => {
    const results = run(config, [...repeat(5, (i) => windowEvent(i, { count: 900, errors: 9 }, { count: 100, errors: 1 })), ...repeat(1000, (i) => windowEvent(i + 5, { count: 900, errors: 0 }, { count: 100, errors: 0 }))]);
    expect(results.every((r) => r.verdict === 'inconclusive')).toBe(true);
    expect(results.at(-1)?.evidence.logEValueWorse).toBe(results[4]?.evidence.logEValueWorse);
  });

  it('reports finite e-values (1) before any informative window', () => {
    const [first] = run(config, [windowEvent(0, { count: 900, errors: 0 }, { count: 100, errors: 0 })]);
    expect(first?.evidence).toMatchObject({ logEValueWorse: 0, logEValueNotWorse: 0 });
    expect(JSON.stringify(first?.evidence)).not.toMatch(/NaN|Infinity/);
  });

  it('fails a catastrophic canary within one window at 1% weight', () => {
    expect(run(config, [windowEvent(0, { count: 990, errors: 10 }, { count: 10, errors: 5 })])[0]?.verdict).toBe('fail');
  });

  it('stays valid when the share changes from window to window (conditioning on observed counts)', () => {
    // Identical arms with shares swinging between 2% and 60%: no failure.
    const results = run(config, repeat(300, (i) => (i % 2 === 0 ? windowEvent(i, { count: 980, errors: 10 }, { count: 20, errors: 0 }) : windowEvent(i, { count: 400, errors: 4 }, { count: 600, errors: 6 }))));
    expect(results.some((r) => r.verdict === 'fail')).toBe(false);
  });
});

describe('relative-risk e-process', () => {
  it('never rejects "worse" when the canary has no more events than its share predicts', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ n: fc.integer({ min: 1, max: 5_000 }), share: fc.double({ min: 0.01, max: 0.9, noNaN: true }), e: fc.integer({ min: 0, max: 200 }) }), { maxLength: 100 }), (windows) => {
        let state = initialRelativeRiskTest();
        for (const w of windows) {
          const canaryCount = Math.max(1, Math.round(w.n * w.share));
          const baselineCount = Math.max(1, w.n - canaryCount);
          // Canary gets at most its share of the events: evidence can only point to "not worse".
          const canaryEvents = Math.floor((w.e * canaryCount) / (canaryCount + baselineCount));
          state = updateRelativeRiskTest(state, { canaryCount, baselineCount, canaryEvents, baselineEvents: w.e - canaryEvents }, 0.2, 0.05);
        }
        expect(state.rejectedNotWorse).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('compareLatency', () => {
  it('fails a canary whose requests are all slower than a fixed threshold', () => {
    const config = gateSchema.parse({ kind: 'compareLatency', thresholdMs: 100, alpha: 0.01 });
    const event = (i: number): NewInputEvent => {
      const data = {
        windowStartAt: i * WINDOW_MS,
        windowEndAt: (i + 1) * WINDOW_MS,
        baseline: variantWindowOf(900, 0, [[40, 855], [150, 45]]),
        canary: variantWindowOf(100, 0, [[40, 80], [150, 20]]),
      };
      return { type: 'samples.window', at: data.windowEndAt, data };
    };
    const results = run(config, repeat(30, event));
    expect(results.at(-1)?.verdict).toBe('fail');
    expect(results.at(-1)?.evidence).toMatchObject({ thresholdMs: 100, thresholdSource: 'fixed', canaryEvents: 600, baselineEvents: 1350 });
  });

  it('estimates the threshold from earlier baseline windows only, inconclusive until it is set', () => {
    const config = gateSchema.parse({ kind: 'compareLatency', baselineQuantile: 0.95 });
    const results = run(config, repeat(3, (i) => windowEvent(i, { count: 900, errors: 0, latencyMs: 40 }, { count: 100, errors: 0, latencyMs: 400 })));
    expect(results[0]?.evidence.thresholdMs).toBeNull();
    expect(results[0]?.verdict).toBe('inconclusive');
    expect(results[1]?.evidence.thresholdMs as number).toBeCloseTo(40, 0);
    expect(results[2]?.verdict).toBe('fail');
  });
});

describe('sampleRatio', () => {
  const config = gateSchema.parse({ kind: 'sampleRatio' });

  it('passes a share consistent with the weight and fails a router sending twice the weight', () => {
    expect(run(config, repeat(20, (i) => windowEvent(i, { count: 900, errors: 0 }, { count: 100, errors: 0 }))).at(-1)?.verdict).toBe('pass');
    const bad = run(config, repeat(20, (i) => windowEvent(i, { count: 800, errors: 0 }, { count: 200, errors: 0 })));
    expect(bad.at(-1)?.verdict).toBe('fail');
    expect(bad.at(-1)?.evidence).toMatchObject({ weightPercent: 10, alpha: 0.001, bound: 1000 });
  });

  it('at 100% any baseline traffic is a certain mismatch, reported with finite numbers', () => {
    const full = { ...context, weightAppliedPercent: 100 };
    const [result] = run(config, [windowEvent(0, { count: 5, errors: 0 }, { count: 995, errors: 0 })], full);
    expect(result?.verdict).toBe('fail');
    expect(JSON.stringify(result?.evidence)).not.toMatch(/null|Infinity/);
  });

  it('skips windows that started before the weight was verified, and is inconclusive without a usable window', () => {
    const unverified = { ...context, weightAppliedAt: 1_000_000, weightAppliedPercent: 10 };
    const results = run(config, repeat(3, (i) => windowEvent(i, { count: 500, errors: 0 }, { count: 500, errors: 0 })), unverified);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(results.at(-1)?.evidence.windowsSkipped).toBe(3);
  });
});
