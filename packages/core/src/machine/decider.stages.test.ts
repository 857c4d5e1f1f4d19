import { describe, expect, it } from 'vitest';
import { createRolloutDecider } from './decider.js';
import { deciderSpecification } from './testing/deciderSpecification.js';
import { input, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';
import { healthyWindows, s, scenario } from './testing/scenarios.js';

const spec = deciderSpecification(createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor }));
const base = testSpec();
const canaryGate = { stage: 'canary', gate: 'errorRate', kind: 'errorRate' };

describe('pending', () => {
  it('rollout.created enters stage 0 and desires its weight as generation 1', () => {
    spec.given([]).when(input.created(base)).then([
      { type: 'stage.entered', at: s(0), data: { index: 0, stage: 'canary', weightPercent: 5 } },
      { type: 'weight.desired', at: s(0), data: { weightPercent: 5, generation: 1, reason: 'stage canary' } },
    ]).thenView((v) => expect(v).toMatchObject({ phase: 'progressing', rolloutId: 'checkout-v2', stageName: 'canary', desiredGeneration: 1, stageWeightAppliedAt: null }));
  });

  it('ignores observations before the rollout exists', () => {
    spec.given([]).when(input.window(s(5), 10, 10)).then([]).thenView((v) => expect(v.phase).toBe('pending'));
  });
});

describe('progressing: the stage clock and evidence start when the weight is applied', () => {
  it('does not judge windows before weight.applied', () => {
    spec.given([input.created(base)]).when(input.window(s(5), 10, 10)).then([]).thenView((v) => expect(v.canarySamplesInStage).toBe(0));
  });

  it('weight.applied of the stage generation starts the clock', () => {
    spec.given([input.created(base)]).when(input.applied(1, 5, s(1))).then([]).thenView((v) => expect(v).toMatchObject({ stageWeightAppliedAt: s(1), appliedWeightPercent: 5, appliedGeneration: 1 }));
  });

  it('a report of another weight for the generation starts no clock', () => {
    spec.given([input.created(base)]).when(input.applied(1, 7, s(1))).thenView((v) => expect(v).toMatchObject({ stageWeightAppliedAt: null, appliedWeightPercent: 7 }));
  });

  it('skips a window that started before the weight was applied (it mixes two weights)', () => {
    spec.given(scenario('progressing')).when(input.window(s(5), 10, 10)).then([]);
  });

  it('records a gate.evaluated decision with the evidence for every verdict', () => {
    spec.given(scenario('progressing')).when(input.window(s(6), 10, 0)).then([
      { type: 'gate.evaluated', at: s(6), data: { ...canaryGate, verdict: 'pass', evidence: { summary: 'canary error rate 0% vs 5%', ratePercent: 0, count: 10 } } },
    ]);
  });

  it('does not pass before durationMin, passes once durationMin and samplesMin are met and all gates pass', () => {
    // The window's pass is not new (verdictLog.ts): nothing is appended until the stage passes.
    spec.given([...scenario('progressing'), ...healthyWindows(6, 51)]).when(input.window(s(56), 10)).thenTypes([]);
    spec.given([...scenario('progressing'), ...healthyWindows(6, 56)]).when(input.window(s(61), 10)).thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired'])
      .thenView((v) => expect(v).toMatchObject({ stageIndex: 1, stageName: 'ramp', desiredWeightPercent: 50, desiredGeneration: 2, lastVerdicts: {}, canarySamplesInStage: 0 }));
  });

  it('does not pass without samplesMin canary samples', () => {
    spec.given([...scenario('progressing'), ...healthyWindows(6, 61, 0)]).when(input.tick(s(70))).then([]);
  });

  it('a tick can pass a stage whose conditions were met between inputs', () => {
    const stages = base.stages.map((st) => ({ ...st, durationMin: 60_000, gates: [] }));
    spec.given([...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 16)]).when(input.tick(s(61))).thenTypes(['stage.entered', 'weight.desired']);
  });

  it('a stage without gates passes on durationMin and samplesMin only; with samplesMin 0 on the applied weight itself', () => {
    const stages = base.stages.map((st) => ({ ...st, durationMin: 0, samplesMin: 0, gates: [] }));
    spec.given([input.created({ ...base, stages })]).when(input.applied(1, 5, s(1))).thenTypes(['stage.entered', 'weight.desired']);
  });

  it('no data is never a pass: a gate without a verdict keeps the stage until durationMax, then holds (default)', () => {
    const stages = base.stages.map((st) => ({ ...st, gates: [{ kind: 'health' as const, failuresMax: 3 }] }));
    const given = [...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 296)];
    spec.given(given).when(input.tick(s(300))).then([]);
    spec.given(given).when(input.tick(s(301))).thenTypes(['stage.held'])
      .thenView((v) => {
        expect(v.phase).toBe('holding');
        expect(v.holdReason).toMatchObject({ stage: 'canary', evidence: { reason: 'maxDuration', summary: expect.stringContaining('health no verdict') as string } });
        expect(v.rollback).toBeNull();
      });
  });

  it('onMaxDuration: rollback rolls back at durationMax when a gate has no verdict (missing evidence, by choice)', () => {
    const stages = base.stages.map((st) => ({ ...st, onMaxDuration: { action: 'rollback' as const }, gates: [{ kind: 'health' as const, failuresMax: 3 }] }));
    const given = [...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 296)];
    spec.given(given).when(input.tick(s(301))).thenTypes(['rollback.started', 'weight.desired'])
      .thenView((v) => expect(v.rollback).toMatchObject({ reason: 'maxDuration', stage: 'canary', evidence: { summary: expect.stringContaining('health no verdict') as string } }));
  });

  it('a stage held at durationMax keeps judging: a failure then rolls back, a pass then advances', () => {
    const stages = base.stages.map((st) => ({ ...st, gates: [{ kind: 'health' as const, failuresMax: 2 }] }));
    const held = [...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 296), input.tick(s(301))];
    spec.given([...held, input.health(false, s(305))]).when(input.health(false, s(310)))
      .thenTypes(['gate.evaluated', 'rollback.started', 'weight.desired'])
      .thenView((v) => expect(v.rollback).toMatchObject({ reason: 'health', gate: 'health' }));
    spec.given(held).when(input.health(true, s(305)))
      .thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired'])
      .thenView((v) => {
        expect(v.phase).toBe('progressing');
        expect(v.stageIndex).toBe(1);
        expect(v.holdReason).toBeNull();
      });
  });

  it('a stage held after a failed gate (onFail: hold) does not judge while it waits', () => {
    const stages = base.stages.map((st) => ({ ...st, onFail: 'hold' as const, gates: [{ kind: 'health' as const, failuresMax: 1 }] }));
    const held = [...scenario('progressing', { ...base, stages }), input.health(false, s(5))];
    spec.given(held).when(input.health(true, s(400))).then([]);
  });

  it('a gate kind without an evaluator is reported inconclusive at stage entry and never passes', () => {
    const stages = base.stages.map((st) => ({ ...st, gates: [{ kind: 'argo' as const, interval: 60_000, failureLimit: 3, successRatePercentMin: 99, latencyMsP99Max: 500 }] }));
    spec.given([]).when(input.created({ ...base, stages })).thenTypes(['stage.entered', 'weight.desired', 'gate.evaluated'])
      .thenView((v) => expect(v.lastVerdicts['argo']?.verdict).toBe('inconclusive'));
  });

  it('a failed gate rolls back with the gate evidence (onFail rollback)', () => {
    spec.given(scenario('progressing')).when(input.window(s(11), 10, 9)).then([
      { type: 'gate.evaluated', at: s(11), data: { ...canaryGate, verdict: 'fail', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
      { type: 'rollback.started', at: s(11), data: { reason: 'gate', stage: 'canary', gate: 'errorRate', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
      { type: 'weight.desired', at: s(11), data: { weightPercent: 0, generation: 2, reason: 'rollback (gate)' } },
    ]);
  });

  it('a failed health gate rolls back with reason health', () => {
    const stages = base.stages.map((st) => ({ ...st, gates: [{ kind: 'health' as const, failuresMax: 2 }] }));
    const given = [...scenario('progressing', { ...base, stages }), input.health(false, s(5))];
    spec.given(given).when(input.health(false, s(10))).thenTypes(['gate.evaluated', 'rollback.started', 'weight.desired'])
      .thenView((v) => expect(v.rollback?.reason).toBe('health'));
  });

  it('a failed gate holds with onFail hold: weight unchanged, wait for an operator', () => {
    const stages = base.stages.map((st) => ({ ...st, onFail: 'hold' as const }));
    spec.given(scenario('progressing', { ...base, stages })).when(input.window(s(11), 10, 9)).then([
      { type: 'gate.evaluated', at: s(11), data: { ...canaryGate, verdict: 'fail', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
      { type: 'stage.held', at: s(11), data: { stage: 'canary', gate: 'errorRate', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
    ]).thenView((v) => expect(v).toMatchObject({ phase: 'holding', desiredWeightPercent: 5, holdReason: { gate: 'errorRate' } }));
  });

  it('a failing sampleRatio gate does not roll back; it blocks the stage from passing and is reported', () => {
    const stages = base.stages.map((st) => ({ ...st, gates: [{ kind: 'sampleRatio' as const, alpha: 0.001 }] }));
    // 20 canary of 120 requests is 16.7%, against a 5% weight: a mismatch.
    const given = [...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 56, 5)];
    spec.given(given).when(input.window(s(61), 20)).thenTypes(['gate.evaluated'])
      .thenView((v) => expect(v).toMatchObject({ phase: 'progressing', lastVerdicts: { sampleRatio: { verdict: 'fail' } } }));
    spec.given(given).when(input.window(s(61), 5, 0, 95)).thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired']);
  });

  it('durationMax extends the stage up to extensionsMax, then rolls back', () => {
    const stages = base.stages.map((st) => ({ ...st, onMaxDuration: { action: 'extend' as const, extendBy: 60_000, extensionsMax: 1 } }));
    const given = scenario('progressing', { ...base, stages });
    spec.given(given).when(input.tick(s(301))).then([{ type: 'stage.extended', at: s(301), data: { stage: 'canary', extension: 1, durationMax: 360_000 } }]);
    spec.given([...given, input.tick(s(301))]).when(input.tick(s(361))).thenTypes(['rollback.started', 'weight.desired']);
  });

  it('weight.applyFailed is recorded and changes nothing', () => {
    spec.given([input.created(base)]).when(input.applyFailed(1, 5, s(1))).then([]).thenView((v) => expect(v).toMatchObject({ phase: 'progressing', appliedWeightPercent: null }));
  });

  it('a tick that decides nothing returns the same state object', () => {
    const result = spec.given(scenario('progressing')).when(input.tick(s(30))).then([]);
    expect(result.after).toBe(result.before);
  });
});

describe('approval', () => {
  it('a passed stage with manual approval waits, naming the webhook when there is one', () => {
    const stages = base.stages.map((st, i) => (i === 0 ? { ...st, approval: { manual: false, webhook: 'https://ci.example/approve' } } : st));
    spec.given([...scenario('progressing', { ...base, stages }), ...healthyWindows(6, 56)]).when(input.window(s(61), 10)).then([
      { type: 'gate.evaluated', at: s(61), data: { ...canaryGate, verdict: 'pass', evidence: { summary: 'canary error rate 0% vs 5%', ratePercent: 0, count: 10 } } },
      { type: 'stage.awaitingApproval', at: s(61), data: { stage: 'canary', webhook: 'https://ci.example/approve' } },
    ]);
  });

  it('gates keep judging while waiting: a failure rolls back', () => {
    spec.given(scenario('awaitingApproval')).when(input.window(s(66), 10, 9)).thenTypes(['gate.evaluated', 'rollback.started', 'weight.desired']);
  });
});

describe('completion', () => {
  it('the last stage at 100% completes when it passes', () => {
    const given = [...scenario('rollingBack').slice(0, -1), ...healthyWindows(67, 122), input.applied(3, 100, s(123)), ...healthyWindows(128, 178)];
    spec.given(given).when(input.window(s(183), 10)).thenTypes(['gate.evaluated', 'completed']).thenView((v) => expect(v).toMatchObject({ phase: 'completed', terminal: true }));
  });

  it('a last stage below 100% desires 100% and completes once it is applied', () => {
    const stages = [{ ...base.stages[0]!, weightPercent: 20 }];
    const given = [input.created({ ...base, stages }), input.applied(1, 20, s(1)), ...healthyWindows(6, 56)];
    spec.given(given).when(input.window(s(61), 10)).then([
      { type: 'gate.evaluated', at: s(61), data: { ...canaryGate, verdict: 'pass', evidence: { summary: 'canary error rate 0% vs 5%', ratePercent: 0, count: 10 } } },
      { type: 'weight.desired', at: s(61), data: { weightPercent: 100, generation: 2, reason: 'complete' } },
    ]).thenView((v) => expect(v.phase).toBe('completing'));
    spec.given([...given, input.window(s(61), 10)]).when(input.applied(2, 100, s(62))).then([{ type: 'completed', at: s(62), data: { weightPercent: 100 } }]);
  });
});

describe('evidence the log cannot store', () => {
  it('a NaN in a gate evidence becomes null and is named, so the decision and its input are still stored', () => {
    const nanGate = { kind: 'errorRate' as const, init: () => null, observe: (_c: unknown, state: null) => ({ state, result: { verdict: 'inconclusive' as const, evidence: { summary: '0/0', ratePercent: Number.NaN } } }) };
    const nanSpec = deciderSpecification(createRolloutDecider({ gateEvaluatorFor: () => nanGate }));
    nanSpec.given(scenario('progressing')).when(input.window(s(6), 0, 0, 0)).then([
      { type: 'gate.evaluated', at: s(6), data: { ...canaryGate, verdict: 'inconclusive', evidence: { summary: '0/0', ratePercent: null, nonFiniteFields: ['ratePercent'] } } },
    ]);
  });
});
