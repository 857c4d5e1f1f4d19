import { describe, expect, it } from 'vitest';
import type { NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import type { GateEvaluator } from '../judge/gate.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { createRolloutDecider, type RolloutState } from './decider.js';
import { deciderSpecification } from './testing/deciderSpecification.js';
import { input, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';
import { healthyWindows, s, scenario } from './testing/scenarios.js';

/**
 * The verdict rule (verdictLog.ts): under `new` the log appends a gate's verdict when it is the first of the stage or
 * differs from the previous one, every verdict computed at an input that decides, and before a deciding decision every
 * gate's latest verdict not in the log yet. Logs written under `every` (rollout.created version 1) hold them all.
 */
const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
const spec = deciderSpecification(decider);

/** Canary stage with an error-rate gate and a metric gate, then a 100% stage. */
const twoGates: RolloutSpec = testSpec({
  stages: [
    { name: 'canary', weightPercent: 5, durationMin: '1m', durationMax: '5m', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }, { kind: 'metric', metric: 'queue', max: 100 }] },
    { name: 'all', weightPercent: 100, durationMin: '1m', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }] },
  ],
});
const started = [input.created(twoGates), input.applied(1, 5, s(1))];

function verdicts(decisions: readonly NewDecisionEvent[]): string[] {
  return decisions.flatMap((d) => (d.type === 'gate.evaluated' ? [`${d.data.stage}/${d.data.gate} ${d.data.verdict}`] : []));
}

function fold(inputs: readonly NewInputEvent[]): { state: RolloutState; logged: NewDecisionEvent[]; computed: NewDecisionEvent[] } {
  let state = decider.initialState();
  const logged: NewDecisionEvent[] = [];
  const computed: NewDecisionEvent[] = [];
  for (const next of inputs) {
    const result = decider.decide(state, next);
    state = result.state;
    logged.push(...result.decisions);
    computed.push(...result.computed);
  }
  return { state, logged, computed };
}

describe('the verdict rule "new"', () => {
  it('appends a gate\'s first verdict of the stage, then only a verdict that changed', () => {
    spec.given(started).when(input.window(s(6), 10)).thenTypes(['gate.evaluated']);
    spec.given([...started, input.window(s(6), 10)]).when(input.window(s(11), 10)).then([]);
    spec.given([...started, ...healthyWindows(6, 11)]).when(input.window(s(16), 10, 1)).then([
      { type: 'gate.evaluated', at: s(16), data: { stage: 'canary', gate: 'errorRate', kind: 'errorRate', verdict: 'fail', evidence: { summary: 'canary error rate 10% vs 5%', ratePercent: 10, count: 10 } } },
      { type: 'rollback.started', at: s(16), data: { reason: 'gate', stage: 'canary', gate: 'errorRate', evidence: { summary: 'canary error rate 10% vs 5%', ratePercent: 10, count: 10 } } },
      { type: 'weight.desired', at: s(16), data: { weightPercent: 0, generation: 2, reason: 'rollback (gate)' } },
    ]);
  });

  it('keeps judging every input: the state holds the latest verdict and evidence even when the log does not', () => {
    spec.given([...started, input.window(s(6), 10)]).when(input.window(s(11), 20)).then([])
      .thenView((v) => expect(v.lastVerdicts['errorRate']).toMatchObject({ verdict: 'pass', evidence: { count: 20 } }));
  });

  it('at a stage pass, appends every gate\'s latest verdict not in the log yet, with its evidence, before the decision', () => {
    const given = [...started, input.metric('queue', 40, s(3)), ...healthyWindows(6, 26), input.metric('queue', 70, s(30)), ...healthyWindows(31, 56)];
    const result = spec.given(given).when(input.window(s(61), 10)).thenTypes(['gate.evaluated', 'gate.evaluated', 'stage.entered', 'weight.desired']);
    // The window's own verdict (computed at the deciding input), then the metric gate's latest, from 30 s.
    expect(result.decisions[0]).toMatchObject({ at: s(61), data: { gate: 'errorRate', verdict: 'pass', evidence: { count: 10 } } });
    expect(result.decisions[1]).toMatchObject({ at: s(61), data: { gate: 'metric', verdict: 'pass', evidence: { value: 70 } } });
    expect(verdicts(fold(given).logged)).toEqual(['canary/metric pass', 'canary/errorRate pass']);
  });

  it('at a rollback, appends the other gates\' latest verdicts too, and nothing at the rollback\'s completion', () => {
    const given = [...started, input.metric('queue', 40, s(3)), input.metric('queue', 50, s(4)), ...healthyWindows(6, 11)];
    const rollback = spec.given(given).when(input.window(s(16), 10, 1));
    expect(verdicts(rollback.decisions)).toEqual(['canary/errorRate fail', 'canary/metric pass']);
    expect(rollback.decisions[1]).toMatchObject({ data: { evidence: { value: 50 } } });
    expect(rollback.decisions.map((d) => d.type)).toEqual(['gate.evaluated', 'gate.evaluated', 'rollback.started', 'weight.desired']);
    spec.given([...given, input.window(s(16), 10, 1)]).when(input.applied(2, 0, s(17))).thenTypes(['rollback.completed']);
  });

  it('at a hold, an abort, a promote and an extension: the latest verdicts first, once', () => {
    const holding = scenario('holding');
    const held = fold(holding);
    expect(verdicts(held.logged).slice(-1)).toEqual(['rollout/errorRate fail']);
    spec.given(holding).when(input.command('abort', s(140))).thenTypes(['weight.desired', 'aborted']);
    const paused = [...started, ...healthyWindows(6, 16), input.window(s(21), 20), input.command('pause', s(22))];
    // The pause is a change of phase: the window at 21 s (not new) is appended then, not again at the abort.
    expect(verdicts(decider.decide(fold(paused.slice(0, -1)).state, paused.at(-1)!).decisions)).toEqual(['canary/errorRate pass']);
    spec.given(paused).when(input.command('abort', s(30))).thenTypes(['weight.desired', 'aborted']);
    spec.given([...started, ...healthyWindows(6, 16), input.window(s(21), 20)]).when(input.command('promote', s(25)))
      .thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired']);
    const extend = testSpec({
      stages: [{ name: 'canary', weightPercent: 5, durationMin: '1m', durationMax: '2m', samplesMin: 10_000, onMaxDuration: { action: 'extend', extendBy: '1m', extensionsMax: 1 }, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }] }],
    });
    spec.given([input.created(extend), input.applied(1, 5, s(1)), ...healthyWindows(6, 116)]).when(input.window(s(121), 10)).thenTypes(['gate.evaluated', 'stage.extended']);
  });

  it('never changes a decision that is not a verdict, and appends nothing a gate did not compute', () => {
    const inputs = [...started, input.metric('queue', 40, s(3)), ...healthyWindows(6, 46), input.window(s(51), 10, 1), input.applied(2, 0, s(52))];
    const { logged, computed } = fold(inputs);
    expect(logged.filter((d) => d.type !== 'gate.evaluated')).toEqual(computed.filter((d) => d.type !== 'gate.evaluated'));
    const computedData = new Set(computed.flatMap((d) => (d.type === 'gate.evaluated' ? [d.data] : [])));
    for (const d of logged) if (d.type === 'gate.evaluated') expect(computedData.has(d.data)).toBe(true);
    expect(verdicts(logged)).toEqual(['canary/metric pass', 'canary/errorRate pass', 'canary/errorRate fail']);
    expect(verdicts(computed)).toHaveLength(1 + 10);
  });

  it('drops a tick whose only verdicts are not new, and keeps the state as it was', () => {
    const tickJudging: GateEvaluator<null> = {
      kind: 'metric',
      init: () => null,
      observe: (_config, state, event) => (event.type === 'tick' ? { state, result: { verdict: 'inconclusive', evidence: { summary: `tick at ${event.at}` } } } : null),
    };
    const ticking = createRolloutDecider({ gateEvaluatorFor: (kind) => (kind === 'metric' ? (tickJudging as never) : testGateEvaluatorFor(kind)) });
    const metricSpec = testSpec({ stages: [{ name: 'canary', weightPercent: 5, durationMin: '10m', samplesMin: 0, gates: [{ kind: 'metric', metric: 'q', max: 1 }] }] });
    let state = ticking.initialState();
    for (const next of [input.created(metricSpec), input.applied(1, 5, s(1))]) state = ticking.decide(state, next).state;
    const first = ticking.decide(state, input.tick(s(10)));
    expect(verdicts(first.decisions)).toEqual(['canary/metric inconclusive']);
    const second = ticking.decide(first.state, input.tick(s(20)));
    expect(second.decisions).toEqual([]);
    expect(second.computed).toEqual([]);
    expect(second.state).toBe(first.state);
  });
});

describe('the verdict rule "every" (logs written before rollout.created version 2)', () => {
  it('appends every verdict computed, as those logs hold them', () => {
    const every = [{ ...input.created(twoGates), data: { spec: twoGates, verdicts: 'every' as const } }, input.applied(1, 5, s(1)), ...healthyWindows(6, 26)];
    const { logged, computed } = fold(every);
    expect(logged).toEqual(computed);
    expect(verdicts(logged)).toHaveLength(5);
    spec.given(every).when(input.window(s(31), 10)).thenTypes(['gate.evaluated']);
  });
});
