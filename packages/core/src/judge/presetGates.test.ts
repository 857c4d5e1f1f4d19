import { describe, expect, it } from 'vitest';
import type { NewInputEvent } from '../events/eventTypes.js';
import { gateSchema } from '../spec/gateSchema.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import { uniformSampleWindow } from '../simulate/variantWindow.js';
import type { GateContext, GateResult } from './gate.js';
import { gateEvaluatorFor } from './registry.js';

const context: GateContext = { stage: { name: 'canary' } as StageSpec, stageIndex: 0, stageEnteredAt: 0, weightAppliedPercent: 10, weightAppliedAt: 0, windowMs: 60_000, stageElapsedMs: null };

/** One 60 s window per interval, so each window closes one interval. */
function minute(i: number, canary: { count: number; errors: number; latencyMs?: number }): NewInputEvent {
  const data = uniformSampleWindow(i * 60_000, 60_000, { count: 900, errors: 0, latencyMs: 40 }, { latencyMs: 40, ...canary });
  return { type: 'samples.window', at: data.windowEndAt, data };
}

function run(config: GateConfig, events: NewInputEvent[]): GateResult[] {
  const evaluator = gateEvaluatorFor(config.kind);
  let state = evaluator.init(config, context);
  return events.flatMap((event) => {
    const out = evaluator.observe(config, state, event, context);
    if (!out) return [];
    state = out.state;
    return [out.result];
  });
}

const good = { count: 100, errors: 0 };
const bad = { count: 100, errors: 5 };
const empty = { count: 0, errors: 0 };

describe('flagger preset', () => {
  const config = gateSchema.parse({ kind: 'flagger' });

  it('counts failed checks cumulatively and rolls back at the check after the threshold-th failure', () => {
    const verdicts = run(config, [bad, good, bad, bad, bad, bad, good].map((c, i) => minute(i, c))).map((r) => r.verdict);
    // Failures 1..5 at checks 1,3,4,5,6; a passing check does not reset the count; check 7 finds 5 ≥ 5 and rolls back.
    expect(verdicts).toEqual(['inconclusive', 'pass', 'inconclusive', 'inconclusive', 'inconclusive', 'inconclusive', 'fail']);
  });

  it('counts an interval without canary traffic as a failed check (no values found)', () => {
    const results = run(config, [minute(0, empty)]);
    expect(results[0]?.verdict).toBe('inconclusive');
    expect(results[0]?.evidence).toMatchObject({ failedChecks: 1, threshold: 5 });
    expect(results[0]?.evidence.summary).toMatch(/no values found/);
  });

  it('fails the p99 check above latencyMsP99Max', () => {
    expect(run(config, [minute(0, { count: 100, errors: 0, latencyMs: 900 })])[0]?.evidence.summary).toMatch(/p99 .* > 500 ms/);
  });
});

describe('argo preset', () => {
  const config = gateSchema.parse({ kind: 'argo' });

  it('fails when failed measurements exceed failureLimit (cumulative)', () => {
    const verdicts = run(config, [bad, good, bad, bad, bad].map((c, i) => minute(i, c))).map((r) => r.verdict);
    expect(verdicts).toEqual(['inconclusive', 'pass', 'inconclusive', 'inconclusive', 'fail']);
  });

  it('errors on empty results and aborts after more than consecutiveErrorLimit of them', () => {
    const results = run(config, [empty, empty, empty, empty, empty].map((c, i) => minute(i, c)));
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive', 'fail']);
    expect(results.at(-1)?.evidence).toMatchObject({ consecutiveErrors: 5, consecutiveErrorLimit: 4 });
  });
});
