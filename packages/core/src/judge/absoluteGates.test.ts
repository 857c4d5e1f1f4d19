import { describe, expect, it } from 'vitest';
import { gateSchema } from '../spec/gateSchema.js';
import type { NewInputEvent } from '../events/eventTypes.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import { uniformSampleWindow } from '../simulate/variantWindow.js';
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

describe('errorRate breaker', () => {
  const config = gateSchema.parse({ kind: 'errorRate', maxPercent: 5 });

  it('fails a catastrophic canary (50% errors) within one window even below samplesMin', () => {
    const [first] = run(config, [windowEvent(0, { count: 10, errors: 5, latencyMs: 40 })]);
    expect(first?.verdict).toBe('fail');
    expect(first?.evidence).toMatchObject({ canaryErrors: 5, maxPercent: 5, sustainWindows: 1 });
  });

  it('passes a healthy full block and is inconclusive before one is full (no data is never a pass)', () => {
    const results = run(config, [windowEvent(0, { count: 0, errors: 0, latencyMs: 40 }), windowEvent(1, { count: 10, errors: 0, latencyMs: 40 }), windowEvent(2, { count: 10, errors: 0, latencyMs: 40 })]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'pass']);
    expect(results[2]?.evidence.summary).toMatch(/0\/20/);
  });

  it('needs sustainWindows failing blocks in a row', () => {
    const sustained = gateSchema.parse({ kind: 'errorRate', maxPercent: 5, sustainWindows: 3, samplesMin: 10 });
    const bad = { count: 10, errors: 3, latencyMs: 40 };
    const good = { count: 10, errors: 0, latencyMs: 40 };
    const verdicts = run(sustained, [bad, bad, good, bad, bad, bad].map((c, i) => windowEvent(i, c))).map((r) => r.verdict);
    expect(verdicts).toEqual(['inconclusive', 'inconclusive', 'pass', 'inconclusive', 'inconclusive', 'fail']);
  });

  it('ignores events that are not sample windows', () => {
    expect(run(config, [{ type: 'tick', at: 1, data: {} }])).toEqual([]);
  });
});

describe('latency breaker', () => {
  const config = gateSchema.parse({ kind: 'latency', quantile: 0.99, maxMs: 500, samplesMin: 100 });

  it('fails within one window when every canary request is slow', () => {
    const [first] = run(config, [windowEvent(0, { count: 10, errors: 0, latencyMs: 3_000 })]);
    expect(first?.verdict).toBe('fail');
  });

  it('passes a fast full block with the quantile in its evidence', () => {
    const results = run(config, Array.from({ length: 10 }, (_, i) => windowEvent(i, { count: 10, errors: 0, latencyMs: 40 })));
    expect(results.at(-1)?.verdict).toBe('pass');
    expect(results.at(-1)?.evidence.latencyMsAtQuantile).toBeCloseTo(40, 0);
    expect(results.slice(0, 9).every((r) => r.verdict === 'inconclusive')).toBe(true);
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
