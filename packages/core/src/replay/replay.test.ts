import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyStoredEvent, NewEvent, NewInputEvent } from '../events/eventTypes.js';
import { createRolloutDecider } from '../machine/decider.js';
import { input, testGateEvaluatorFor, testSpec } from '../machine/testing/fixtures.js';
import { MemoryLog } from '../machine/testing/memoryLog.js';
import { healthyWindows, s } from '../machine/testing/scenarios.js';
import { RolloutSession } from '../rollout/RolloutSession.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { compareOutcomes } from './outcome.js';
import { replay, sameDecision } from './replay.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });

function withErrorLimit(maxPercent: number, sustainWindows = 1): RolloutSpec {
  const base = testSpec();
  return { ...base, stages: base.stages.map((stage) => ({ ...stage, gates: [{ kind: 'errorRate', maxPercent, sustainWindows, samplesMin: 1 }] })) };
}

/** Records a run: canary applied at 1 s, healthy windows to 61 s (→ ramp), ramp applied at 62 s, then `ramp` windows. */
function record(spec: RolloutSpec, ramp: NewInputEvent[]): MemoryLog {
  const log = new MemoryLog();
  const session = RolloutSession.create(log, spec, s(0), { decider });
  for (const event of [input.applied(1, 5, s(1)), ...healthyWindows(6, 61), input.applied(2, 50, s(62)), ...ramp]) {
    session.ingest(event);
    const view = session.view;
    // The adapter verifies every new weight one second later.
    if (view.appliedGeneration < view.desiredGeneration && event.type !== 'weight.applied') {
      session.ingest(input.applied(view.desiredGeneration, view.desiredWeightPercent, event.at + 1_000));
    }
  }
  return log;
}

/** 20% canary errors from 67 s to 127 s: above 5%, below 50%. */
const degradedRamp = Array.from({ length: 13 }, (_, i) => input.window(s(67 + 5 * i), 10, 2));

describe('replay: reproduce mode', () => {
  it('reproduces every recorded decision', () => {
    const log = record(withErrorLimit(5), degradedRamp);
    const result = replay(log, 'checkout-v2', { decider });
    expect(result).toMatchObject({ mode: 'reproduce', reproduced: true, divergenceCount: 0, divergences: [] });
    expect(result.decisions.length).toBe(result.recordedDecisions);
    expect(result.recomputedOutcome).toEqual({ outcome: 'rolledBack', at: s(67), stage: 'ramp', reason: 'gate', gate: 'errorRate' });
    expect(result.comparison.sentence).toBe('would have rolled back at 2026-01-15 14:01:07 UTC (gate errorRate in stage ramp), at the same time as recorded');
  });

  it('keeps only the decisions an outcome is made of when asked, and still counts and compares them all', () => {
    const log = record(withErrorLimit(5), degradedRamp);
    const full = replay(log, 'checkout-v2', { decider });
    const lean = replay(log, 'checkout-v2', { decider, keepDecisions: false });
    expect(full.recomputedDecisions).toBe(full.decisions.length);
    expect(lean.recomputedDecisions).toBe(full.decisions.length);
    expect(lean.decisions.map((d) => d.type)).toEqual(['stage.entered', 'stage.entered', 'rollback.started']);
    expect(lean.decisions).toEqual(full.decisions.filter((d) => ['stage.entered', 'rollback.started'].includes(d.type)));
    expect(lean).toMatchObject({ reproduced: true, recomputedOutcome: full.recomputedOutcome, comparison: full.comparison });
  });

  it('reports a changed, a missing and an extra decision with their positions', () => {
    const log = new MemoryLog();
    const spec = testSpec();
    const events: NewEvent[] = [
      input.created(spec),
      { type: 'stage.entered', at: s(0), data: { index: 0, stage: 'canary', weightPercent: 5 } },
      { type: 'weight.desired', at: s(0), data: { weightPercent: 7, generation: 1, reason: 'stage canary' } },
      input.applied(1, 5, s(1)),
      { type: 'paused', at: s(1), data: { reason: 'not decided by the machine' } },
      input.command('abort', s(2)),
    ];
    log.append(spec.id, 0, events);
    const result = replay(log, spec.id, { decider });
    expect(result.reproduced).toBe(false);
    expect(result.divergences).toEqual([
      {
        position: 2,
        inputPosition: 0,
        recorded: { type: 'weight.desired', at: s(0), data: { weightPercent: 7, generation: 1, reason: 'stage canary' } },
        recomputed: { type: 'weight.desired', at: s(0), data: { weightPercent: 5, generation: 1, reason: 'stage canary' } },
      },
      { position: 4, inputPosition: 3, recorded: { type: 'paused', at: s(1), data: { reason: 'not decided by the machine' } }, recomputed: null },
      { position: 6, inputPosition: 5, recorded: null, recomputed: { type: 'weight.desired', at: s(2), data: { weightPercent: 0, generation: 2, reason: 'abort' } } },
      { position: 6, inputPosition: 5, recorded: null, recomputed: { type: 'aborted', at: s(2), data: { reason: 'aborted by alice' } } },
    ]);
    expect(result.divergenceCount).toBe(4);
  });

  it('an unknown rollout is SLUICE_E_ROLLOUT_NOT_FOUND', () => {
    expect(() => replay(new MemoryLog(), 'nope', { decider })).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROLLOUT_NOT_FOUND' }));
  });
});

describe('replay: what-if', () => {
  it('a stricter policy rolls back where the recorded one completed', () => {
    const log = record(withErrorLimit(50), [...degradedRamp, input.applied(3, 100, s(129)), ...healthyWindows(134, 194)]);
    const recorded = replay(log, 'checkout-v2', { decider });
    expect(recorded.recomputedOutcome.outcome).toBe('completed');
    const result = replay(log, 'checkout-v2', { decider, spec: withErrorLimit(5) });
    expect(result).toMatchObject({ mode: 'whatIf', reproduced: false, divergences: [] });
    expect(result.recomputedOutcome).toMatchObject({ outcome: 'rolledBack', at: s(67), gate: 'errorRate' });
    expect(result.view).toMatchObject({ phase: 'rolledBack', appliedWeightPercent: 0 });
    expect(result.comparison.sentence).toMatch(/^would have rolled back at 2026-01-15 14:01:07 UTC \(gate errorRate in stage ramp\); the recorded run completed at /);
  });

  it('the same outcome sooner: says how much earlier', () => {
    const log = record(withErrorLimit(5, 3), degradedRamp);
    const result = replay(log, 'checkout-v2', { decider, spec: withErrorLimit(5, 1) });
    expect(result.comparison).toMatchObject({ sameOutcome: true, deltaMs: -10_000 });
    expect(result.comparison.sentence).toBe('would have rolled back at 2026-01-15 14:01:07 UTC (gate errorRate in stage ramp), 10s earlier');
  });

  it('treats each desired weight as applied at once: recorded adapter reports are not fed', () => {
    const log = record(withErrorLimit(50), []);
    const result = replay(log, 'checkout-v2', { decider, spec: withErrorLimit(50) });
    // The what-if enters the ramp at 61 s and its weight is applied at 61 s, not at the recorded 62 s.
    expect(result.view).toMatchObject({ stageName: 'ramp', stageWeightAppliedAt: s(61) });
  });

  it('a what-if that outlives the recorded inputs is undecided', () => {
    const log = record(withErrorLimit(5), degradedRamp);
    const result = replay(log, 'checkout-v2', { decider, spec: withErrorLimit(50) });
    expect(result.recomputedOutcome.outcome).toBe('undecided');
    expect(result.comparison.sentence).toMatch(/^would not have decided before the recorded inputs ended \(last input at .*\); the recorded run rolled back at /);
  });
});

describe('compareOutcomes', () => {
  it('later, different and both-undecided outcomes', () => {
    const rolledBack = { outcome: 'rolledBack' as const, at: s(0), stage: 'canary', reason: 'maxDuration' as const };
    expect(compareOutcomes(rolledBack, { ...rolledBack, at: s(360) }, null).sentence).toBe(
      'would have rolled back at 2026-01-15 14:06:00 UTC (maxDuration in stage canary), 6m later',
    );
    expect(compareOutcomes(rolledBack, { outcome: 'aborted', at: s(60), stage: 'canary' }, null).sentence).toBe(
      'would have been aborted at 2026-01-15 14:01:00 UTC (in stage canary); the recorded run rolled back at 2026-01-15 14:00:00 UTC (maxDuration in stage canary)',
    );
  });
});

describe('sameDecision', () => {
  const paused = (data: Record<string, unknown>) => ({ type: 'paused', at: 1, data }) as never;
  it('compares as the log stores: key order and undefined properties do not matter, values do', () => {
    expect(sameDecision(paused({ reason: 'x', extra: { a: 1, b: [1, 2] } }), paused({ extra: { b: [1, 2], a: 1 }, reason: 'x', gone: undefined }))).toBe(true);
    expect(sameDecision(paused({ reason: 'x', extra: { b: [1, 2] } }), paused({ reason: 'x', extra: { b: [2, 1] } }))).toBe(false);
    expect(sameDecision(paused({ reason: 'x', n: null }), paused({ reason: 'x' }))).toBe(false);
    expect(sameDecision(paused({ reason: 'x' }), { type: 'paused', at: 2, data: { reason: 'x' } } as never)).toBe(false);
  });

  it('is equality of the canonical JSON the log stores (property)', () => {
    // Canonical JSON sorts keys and drops undefined properties: equal text is exactly what the comparison must find.
    const canonical = (value: unknown): string =>
      JSON.stringify(value, (_key, v: unknown) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
      );
    const value = fc.letrec((tie) => ({
      // undefined only as a property value: in an array it is no JSON value at all.
      node: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, 0, 1, 'a', true), fc.array(tie('node'), { maxLength: 3 }), tie('object')),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(tie('node'), fc.constant(undefined)), { maxKeys: 3 }),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), value), fc.dictionary(fc.constantFrom('a', 'b', 'c'), value), (left, right) => {
        expect(sameDecision(paused(left), paused(right))).toBe(canonical(left) === canonical(right));
        expect(sameDecision(paused(left), paused(structuredClone(left)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('replay and the verdict rule', () => {
  /** Healthy windows with a varying count: every verdict is a pass, with other evidence each time. */
  const healthyRamp = Array.from({ length: 8 }, (_, i) => input.window(s(67 + 5 * i), 10 + i, 0));

  it('recomputes every verdict and compares those the log holds; everyVerdict returns them all', () => {
    const log = record(withErrorLimit(5), [...healthyRamp, input.window(s(107), 10, 2)]);
    const stored = log.all('checkout-v2');
    const result = replay(log, 'checkout-v2', { decider });
    const every = replay(log, 'checkout-v2', { decider, everyVerdict: true });
    expect(result.reproduced && every.reproduced).toBe(true);
    const verdicts = (decisions: readonly NewEvent[]) => decisions.filter((d) => d.type === 'gate.evaluated').length;
    // Canary: its first verdict and its final one (at the pass); ramp: the first, and the fail. The rest are not new.
    expect(verdicts(stored)).toBe(4);
    expect(verdicts(result.decisions)).toBe(4);
    expect(verdicts(every.decisions)).toBe(12 + 9);
    expect(every.recomputedDecisions).toBe(every.decisions.length);
    expect(every.decisions.filter((d) => d.type !== 'gate.evaluated')).toEqual(result.decisions.filter((d) => d.type !== 'gate.evaluated'));
  });

  it('finds a verdict change missing from the log, and a logged verdict that said nothing new', () => {
    const spec = withErrorLimit(5);
    const recorded = record(spec, [...healthyRamp, input.window(s(107), 10, 2)]).all(spec.id);
    const rewrite = (keep: (event: AnyStoredEvent, index: number) => AnyStoredEvent[]) => {
      const log = new MemoryLog();
      log.append(spec.id, 0, recorded.flatMap(keep).map(({ type, at, data }) => ({ type, at, data }) as NewEvent));
      return replay(log, spec.id, { decider });
    };
    const firstRampVerdict = recorded.findIndex((e) => e.type === 'gate.evaluated' && e.data.stage === 'ramp');
    const missing = rewrite((event, index) => (index === firstRampVerdict ? [] : [event]));
    expect(missing.reproduced).toBe(false);
    expect(missing.divergences[0]).toMatchObject({ recorded: null, recomputed: { type: 'gate.evaluated', data: { stage: 'ramp', verdict: 'pass' } } });
    const repeatAt = recorded.findIndex((e) => e.type === 'samples.window' && e.at === s(72));
    const extra = rewrite((event, index) =>
      index === repeatAt ? [event, { ...recorded[firstRampVerdict]!, at: event.at } as AnyStoredEvent] : [event],
    );
    expect(extra.reproduced).toBe(false);
    expect(extra.divergences[0]).toMatchObject({ recorded: { type: 'gate.evaluated', data: { stage: 'ramp' } }, recomputed: null });
  });

  it('replays a log written under the rule "every" as it was written, every verdict compared', () => {
    const spec = withErrorLimit(5);
    const log = new MemoryLog();
    let state = decider.initialState();
    let position = 0;
    const inputs: NewInputEvent[] = [
      { type: 'rollout.created', at: s(0), data: { spec, verdicts: 'every' } },
      input.applied(1, 5, s(1)),
      ...healthyWindows(6, 41),
    ];
    for (const next of inputs) {
      const { state: after, decisions } = decider.decide(state, next);
      position += log.append(spec.id, position, [next, ...decisions]).length;
      state = after;
    }
    expect(log.all(spec.id).filter((e) => e.type === 'gate.evaluated')).toHaveLength(8);
    const result = replay(log, spec.id, { decider });
    expect(result.reproduced).toBe(true);
    expect(result.recordedDecisions).toBe(2 + 8);
  });
});
