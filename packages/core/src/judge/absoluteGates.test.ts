import { describe, expect, it } from 'vitest';
import { gateSchema } from '../spec/gateSchema.js';
import type { NewInputEvent } from '../events/eventTypes.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import { uniformSampleWindow, variantWindowOf } from '../simulate/variantWindow.js';
import type { GateContext, GateResult } from './gate.js';
import { gateEvaluatorFor } from './registry.js';

const WINDOW_MS = 5_000;
const context: GateContext = {
  stage: { name: 'canary' } as StageSpec,
  stageIndex: 0,
  stageEnteredAt: 0,
  weightAppliedPercent: 1,
  weightAppliedAt: 0,
  windowMs: WINDOW_MS,
  stageElapsedMs: null,
};

function windowEvent(i: number, canary: { count: number; errors: number; latencyMs: number }): NewInputEvent {
  const data = uniformSampleWindow(i * WINDOW_MS, WINDOW_MS, { count: 990, errors: 10, latencyMs: 40 }, canary);
  return { type: 'samples.window', at: data.windowEndAt, data };
}

/** Feeds events through one gate and returns the result after each event that concerned it. */
function run(config: GateConfig, events: NewInputEvent[]): GateResult[] {
  const evaluator = gateEvaluatorFor(config.kind);
  let state = evaluator.init(config, context);
  const results: GateResult[] = [];
  for (const event of events) {
    const out = evaluator.observe(config, state, event, context);
    if (out) {
      state = out.state;
      results.push(out.result);
    }
  }
  return results;
}

/** A window whose canary requests take 40 ms, except `slow` of them that take 3 s. */
function latencyWindow(i: number, count: number, slow: number): NewInputEvent {
  const data = uniformSampleWindow(i * WINDOW_MS, WINDOW_MS, { count: 990, errors: 10, latencyMs: 40 }, { count: 0, errors: 0, latencyMs: 40 });
  return { type: 'samples.window', at: data.windowEndAt, data: { ...data, canary: variantWindowOf(count, 0, [[40, count - slow], [3_000, slow]]) } };
}

const errors = (i: number, count: number, errorCount: number) => windowEvent(i, { count, errors: errorCount, latencyMs: 40 });

/** The gate config as a spec stored before `confidence` existed holds it: parsed then, without the field. */
function storedBeforeConfidence(input: unknown): GateConfig {
  const { confidence: _dropped, ...config } = gateSchema.parse(input) as GateConfig & { confidence?: number };
  return config as GateConfig;
}

describe('errorRate breaker (default template: maxPercent 20, samplesMin 20, confidence 0.99)', () => {
  const config = gateSchema.parse({ kind: 'errorRate', maxPercent: 20, samplesMin: 20 });

  it('defaults confidence to 0.99', () => {
    expect(config).toMatchObject({ confidence: 0.99 });
  });

  it('given a full block within the bound, when judged, then it passes with its p-value', () => {
    const results = run(config, [errors(0, 10, 0), errors(1, 10, 1)]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'pass']);
    expect(results[1]?.evidence).toMatchObject({ canaryCount: 20, canaryErrors: 1, errorRatePercent: 5, confidence: 0.99, pValue: 0.988471 });
    expect(results[1]?.evidence.summary).toBe('canary error rate 5.00% (1/20) ≤ 20% (p = 0.99 ≥ 0.01)');
  });

  it('given a block above the bound by chance (5/22 from a 5%-error service), when judged, then it passes: not significant', () => {
    const [result] = run(config, [errors(0, 22, 5)]);
    expect(result?.verdict).toBe('pass');
    expect(result?.evidence).toMatchObject({ errorRatePercent: 22.7273, pValue: 0.457118, failingStreak: 0 });
    expect(result?.evidence.summary).toBe('canary error rate 22.7% (5/22) > 20% but not significant (p = 0.46 ≥ 0.01)');
  });

  it('given a full block significantly above the bound, when judged, then it fails and says why', () => {
    const [tenOfTwenty] = run(config, [errors(0, 20, 10)]);
    expect(tenOfTwenty?.verdict).toBe('fail');
    expect(tenOfTwenty?.evidence).toMatchObject({ canaryErrors: 10, canaryCount: 20, pValue: 0.00259483, confidence: 0.99 });
    expect(tenOfTwenty?.evidence.summary).toBe('canary error rate 50.0% (10/20) > 20% (p = 0.0026 < 0.01), failing for 1 of 1 window(s)');
    // P(X ≥ 9 | 20, 0.2) = 0.00998: significant, and the summary shows enough digits to say so.
    const [nineOfTwenty] = run(config, [errors(0, 20, 9)]);
    expect(nineOfTwenty?.verdict).toBe('fail');
    expect(nineOfTwenty?.evidence.summary).toBe('canary error rate 45.0% (9/20) > 20% (p = 0.00998 < 0.01), failing for 1 of 1 window(s)');
    // Far above the bound the tail is below what it can resolve, and the summary says so.
    const strict = gateSchema.parse({ kind: 'errorRate', maxPercent: 1, samplesMin: 50 });
    const [eightPercent] = run(strict, [errors(0, 1_000, 80)]);
    expect(eightPercent?.evidence.summary).toBe('canary error rate 8.00% (80/1000) > 1% (p < 1e-12), failing for 1 of 1 window(s)');
  });

  it('given a catastrophic canary, when a partial block is already significant, then it fails before samplesMin', () => {
    // 6 of 10: P(X ≥ 6 | 10, 0.2) = 0.0064, judged at the end of the first window.
    const [first] = run(config, [errors(0, 10, 6)]);
    expect(first?.verdict).toBe('fail');
    expect(first?.evidence).toMatchObject({ canaryCount: 10, canaryErrors: 6, errorRatePercent: 60, pValue: 0.00636938, pendingCount: 0 });
    // 5 of 10 (p = 0.033) is not significant yet: the block stays open and fails once it is, at 10 of 20.
    const results = run(config, [errors(0, 10, 5), errors(1, 10, 5)]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'fail']);
    expect(results[0]?.evidence).toMatchObject({ pendingCount: 10, pendingErrors: 5, pValue: null });
    expect(results[1]?.evidence).toMatchObject({ canaryCount: 20, canaryErrors: 10 });
  });

  it('given confidence 0, then the observed rate is compared with the bound as before (5/22 fails; 5 of a 20-sample block fails early)', () => {
    const observed = gateSchema.parse({ kind: 'errorRate', maxPercent: 20, samplesMin: 20, confidence: 0 });
    const [full] = run(observed, [errors(0, 22, 5)]);
    expect(full?.verdict).toBe('fail');
    expect(full?.evidence).toMatchObject({ confidence: 0, pValue: 0.457118 });
    expect(full?.evidence.summary).toBe('canary error rate 22.7% (5/22) > 20%, failing for 1 of 1 window(s)');
    const [early] = run(observed, [errors(0, 10, 5)]);
    expect(early?.verdict).toBe('fail');
    expect(early?.evidence).toMatchObject({ errorRatePercent: 25, canaryCount: 10 });
  });

  it('given a spec stored before confidence existed, then it is judged and evidenced exactly as it was recorded', () => {
    const stored = storedBeforeConfidence({ kind: 'errorRate', maxPercent: 20, samplesMin: 20 });
    const results = run(stored, [errors(0, 10, 0), errors(1, 12, 1), errors(2, 10, 5)]);
    // What the breaker recorded before this change, for the same windows.
    expect(results).toEqual([
      { verdict: 'inconclusive', evidence: { summary: 'canary error rate not judged yet: 10 of 20 samples', canaryCount: 0, canaryErrors: 0, errorRatePercent: null, maxPercent: 20, failingStreak: 0, sustainWindows: 1, samplesMin: 20, pendingCount: 10, pendingErrors: 0, mixedWeight: false } },
      { verdict: 'pass', evidence: { summary: 'canary error rate 4.55% (1/22) ≤ 20%', canaryCount: 22, canaryErrors: 1, errorRatePercent: 4.54545, maxPercent: 20, failingStreak: 0, sustainWindows: 1, samplesMin: 20, pendingCount: 0, pendingErrors: 0, mixedWeight: false } },
      { verdict: 'fail', evidence: { summary: 'canary error rate 25.0% (5/10) > 20%, failing for 1 of 1 window(s)', canaryCount: 10, canaryErrors: 5, errorRatePercent: 25, maxPercent: 20, failingStreak: 1, sustainWindows: 1, samplesMin: 20, pendingCount: 0, pendingErrors: 0, mixedWeight: false } },
    ]);
    expect(results.every((r) => !('pValue' in r.evidence && r.evidence.pValue !== undefined))).toBe(true);
  });

  it('is inconclusive before a block is full (no data is never a pass)', () => {
    const results = run(config, [errors(0, 0, 0), errors(1, 10, 0), errors(2, 10, 0)]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'pass']);
    expect(results[2]?.evidence.summary).toMatch(/0\/20/);
  });

  it('needs sustainWindows failing blocks in a row', () => {
    const sustained = gateSchema.parse({ kind: 'errorRate', maxPercent: 5, sustainWindows: 3, samplesMin: 10 });
    const bad = { count: 10, errors: 5, latencyMs: 40 };
    const good = { count: 10, errors: 0, latencyMs: 40 };
    const verdicts = run(sustained, [bad, bad, good, bad, bad, bad].map((c, i) => windowEvent(i, c))).map((r) => r.verdict);
    expect(verdicts).toEqual(['inconclusive', 'inconclusive', 'pass', 'inconclusive', 'inconclusive', 'fail']);
  });

  it('never modifies a previous state', () => {
    const evaluator = gateEvaluatorFor('errorRate');
    const first = evaluator.observe(config, evaluator.init(config, context), errors(0, 10, 1), context)!;
    const snapshot = structuredClone(first.state);
    evaluator.observe(config, first.state, errors(1, 10, 9), context);
    expect(first.state).toEqual(snapshot);
  });

  it('ignores events that are not sample windows', () => {
    expect(run(config, [{ type: 'tick', at: 1, data: {} }])).toEqual([]);
  });
});

describe('latency breaker (p90 ≤ 500 ms: at most 10% of requests slower than 500 ms)', () => {
  const config = gateSchema.parse({ kind: 'latency', quantile: 0.9, maxMs: 500, samplesMin: 50 });

  it('given a fast full block, when judged, then it passes with the observed quantile in its evidence', () => {
    const results = run(config, Array.from({ length: 5 }, (_, i) => latencyWindow(i, 10, 0)));
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive', 'pass']);
    expect(results[4]?.evidence).toMatchObject({ canaryCount: 50, canarySlowCount: 0, pValue: 1, confidence: 0.99 });
    expect(results[4]?.evidence.latencyMsAtQuantile).toBeCloseTo(40, 0);
    expect(results[4]?.evidence.summary).toBe('canary p90 40.031 ms ≤ 500 ms with 0/50 requests slower (p = 1 ≥ 0.01)');
  });

  it('given a block whose p90 is over the bound by chance (8 of 50 slow where 10% may be), then it passes: not significant', () => {
    const [result] = run(config, [latencyWindow(0, 50, 8)]);
    expect(result?.verdict).toBe('pass');
    expect(result?.evidence.summary).toMatch(/^canary p90 3\d{3}(\.\d+)? ms > 500 ms with 8\/50 requests slower but not significant \(p = 0\.12 ≥ 0\.01\)$/);
  });

  it('given a block significantly slower, then it fails with the quantile and the slow count', () => {
    const [result] = run(config, [latencyWindow(0, 50, 15)]);
    expect(result?.verdict).toBe('fail');
    expect(result?.evidence).toMatchObject({ canaryCount: 50, canarySlowCount: 15, pValue: 0.0000738387 });
    expect(result?.evidence.summary).toMatch(/^canary p90 3\d{3}(\.\d+)? ms > 500 ms with 15\/50 requests slower \(p = 0\.000074 < 0\.01\), failing for 1 of 1 window\(s\)$/);
  });

  it('given every canary request slow, then a partial block fails within one window', () => {
    const [first] = run(config, [latencyWindow(0, 10, 10)]);
    expect(first?.verdict).toBe('fail');
    expect(first?.evidence).toMatchObject({ canaryCount: 10, canarySlowCount: 10, pValue: 1e-10 });
  });

  it('given confidence 0, then the observed quantile is compared with the bound as before', () => {
    const observed = gateSchema.parse({ kind: 'latency', quantile: 0.9, maxMs: 500, samplesMin: 50, confidence: 0 });
    const [full] = run(observed, [latencyWindow(0, 50, 8)]);
    expect(full?.verdict).toBe('fail');
    expect(full?.evidence.summary).toMatch(/^canary p90 3\d{3}(\.\d+)? ms > 500 ms \(n=50\), failing/);
    // Early: more than 50 − ⌈0.9·50⌉ = 5 slow requests in an open block.
    const early = run(observed, [latencyWindow(0, 10, 5), latencyWindow(1, 10, 1)]);
    expect(early.map((r) => r.verdict)).toEqual(['inconclusive', 'fail']);
    expect(early[1]?.evidence.summary).toBe('canary p90 > 500 ms: too many slow requests among the first 20 of a 50-sample block, failing for 1 of 1 window(s)');
  });

  it('given a spec stored before confidence existed, then it is judged and evidenced exactly as it was recorded', () => {
    const stored = storedBeforeConfidence({ kind: 'latency', quantile: 0.9, maxMs: 500, samplesMin: 20 });
    const results = run(stored, [latencyWindow(0, 10, 0), latencyWindow(1, 12, 2), latencyWindow(2, 10, 3)]);
    expect(results).toEqual([
      { verdict: 'inconclusive', evidence: { summary: 'canary p90 not judged yet: 10 of 20 samples', canaryCount: 0, quantile: 0.9, latencyMsAtQuantile: null, maxMs: 500, failingStreak: 0, sustainWindows: 1, samplesMin: 20, pendingCount: 10, mixedWeight: false } },
      { verdict: 'pass', evidence: { summary: 'canary p90 40.031 ms ≤ 500 ms (n=22)', canaryCount: 22, quantile: 0.9, latencyMsAtQuantile: 40.031, maxMs: 500, failingStreak: 0, sustainWindows: 1, samplesMin: 20, pendingCount: 0, mixedWeight: false } },
      {
        verdict: 'fail',
        evidence: { summary: 'canary p90 > 500 ms: too many slow requests among the first 10 of a 20-sample block, failing for 1 of 1 window(s)', canaryCount: 10, quantile: 0.9, latencyMsAtQuantile: null, maxMs: 500, failingStreak: 1, sustainWindows: 1, samplesMin: 20, pendingCount: 0, mixedWeight: false },
      },
    ]);
  });
});

describe('metric gate', () => {
  const config = gateSchema.parse({ kind: 'metric', metric: 'cpu', max: 0.8, sustainWindows: 2 });
  const metric = (value: number, name = 'cpu'): NewInputEvent => ({ type: 'metric.observed', at: 1, data: { name, variant: 'canary', value } });

  it('fails after sustained out-of-bound values, treats NaN as failing, ignores other metrics', () => {
    expect(run(config, [metric(0.5), metric(0.9), metric(Number.NaN), metric(0.1, 'other')]).map((r) => r.verdict)).toEqual(['pass', 'inconclusive', 'fail']);
  });
});

describe('health gate', () => {
  const config = gateSchema.parse({ kind: 'health', failuresMax: 2 });
  const probe = (ok: boolean): NewInputEvent => ({ type: 'health.checked', at: 1, data: { ok } });

  it('fails after N consecutive failed probes and resets on success', () => {
    expect(run(config, [probe(false), probe(true), probe(false), probe(false)]).map((r) => r.verdict)).toEqual(['inconclusive', 'pass', 'inconclusive', 'fail']);
  });
});
