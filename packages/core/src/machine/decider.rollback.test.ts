import { describe, expect, it } from 'vitest';
import { createRolloutDecider } from './decider.js';
import { deciderSpecification } from './testing/deciderSpecification.js';
import { input, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';
import { healthyWindows, s, scenario } from './testing/scenarios.js';

const spec = deciderSpecification(createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor }));
const base = testSpec();

describe('rollingBack', () => {
  it('immediate: weight.applied 0 of the rollback generation completes the rollback', () => {
    spec.given(scenario('rollingBack')).when(input.applied(3, 0, s(68))).then([{ type: 'rollback.completed', at: s(68), data: { weightPercent: 0 } }])
      .thenView((v) => expect(v).toMatchObject({ phase: 'rolledBack', terminal: true, outcome: 'rolledBack', desiredWeightPercent: 0, endedAt: s(68) }));
  });

  it('a stale report of an older generation does not complete it', () => {
    spec.given(scenario('rollingBack')).when(input.applied(2, 50, s(68))).then([]).thenView((v) => expect(v.phase).toBe('rollingBack'));
  });

  it('no judging while rolling back', () => {
    spec.given(scenario('rollingBack')).when(input.window(s(72), 10, 10)).then([]);
  });

  it('gradual: passes through the lower steps, each held stepDuration after it is applied, then 0', () => {
    const gradual = testSpec({ rollback: { mode: 'gradual', stepsPercent: [60, 20, 5], stepDuration: '30s' } });
    const given = scenario('rollingBack', gradual);
    // From 50%: the 60% step is skipped.
    spec.given(given.slice(0, -1)).when(given.at(-1)!).then([
      { type: 'gate.evaluated', at: s(67), data: { stage: 'ramp', gate: 'errorRate', kind: 'errorRate', verdict: 'fail', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
      { type: 'rollback.started', at: s(67), data: { reason: 'gate', stage: 'ramp', gate: 'errorRate', evidence: { summary: 'canary error rate 90% vs 5%', ratePercent: 90, count: 10 } } },
      { type: 'weight.desired', at: s(67), data: { weightPercent: 20, generation: 3, reason: 'rollback (gate)' } },
    ]);
    const stepApplied = [...given, input.applied(3, 20, s(70))];
    spec.given(stepApplied).when(input.tick(s(99))).then([]);
    spec.given(stepApplied).when(input.tick(s(100))).then([{ type: 'weight.desired', at: s(100), data: { weightPercent: 5, generation: 4, reason: 'rollback (gate) step' } }]);
    const lastStep = [...stepApplied, input.tick(s(100)), input.applied(4, 5, s(101))];
    spec.given(lastStep).when(input.tick(s(131))).thenTypes(['weight.desired']).thenView((v) => expect(v.desiredWeightPercent).toBe(0));
    spec.given([...lastStep, input.tick(s(131))]).when(input.applied(5, 0, s(132))).thenTypes(['rollback.completed']);
  });

  it('gradual: steps start below the weight in force, so a rollback never raises the canary share above it', () => {
    const gradual = testSpec({ rollback: { mode: 'gradual', stepsPercent: [60, 20, 5], stepDuration: '30s' } });
    // 5% is in force; 100% is desired (promoteFull) but not applied yet. Stepping from 100% would desire 60%.
    spec.given(scenario('completing', gradual)).when(input.command('rollback', s(20)))
      .thenTypes(['rollback.started', 'weight.desired'])
      .thenView((v) => expect(v.desiredWeightPercent).toBe(0));
    // Nothing applied yet at all: straight to 0.
    spec.given([input.created(gradual)]).when(input.command('rollback', s(2))).thenView((v) => expect(v.desiredWeightPercent).toBe(0));
  });
});

describe('paused', () => {
  it('freezes judging: windows are not observed and not counted', () => {
    spec.given(scenario('paused')).when(input.window(s(30), 10, 10)).then([]).thenView((v) => expect(v.canarySamplesInStage).toBe(0));
  });

  it('freezes the stage clock: paused time after the weight was applied does not count toward durationMin', () => {
    const pausedMinute = [...scenario('progressing'), ...healthyWindows(6, 16), input.command('pause', s(20)), input.command('resume', s(80))];
    // Without the pause the stage would pass at 61 s; the 60 s pause moves that to 121 s.
    spec.given([...pausedMinute, ...healthyWindows(85, 115)]).when(input.window(s(120), 10)).thenTypes([]).thenView((v) => expect(v.stageIndex).toBe(0));
    // The stage passes on a tick: the gate's latest verdict (not new, so not appended yet) goes in first.
    spec.given([...pausedMinute, ...healthyWindows(85, 120)]).when(input.tick(s(121))).thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired']);
  });

  it('only the paused time after the weight was applied is excluded from the stage clock', () => {
    const given = [input.created(base), input.command('pause', s(0)), input.applied(1, 5, s(1)), input.command('resume', s(30))];
    spec.given([...given, ...healthyWindows(35, 60)]).when(input.tick(s(61))).thenTypes([]);
    spec.given([...given, ...healthyWindows(35, 85)]).when(input.tick(s(91))).thenTypes(['gate.evaluated', 'stage.entered', 'weight.desired']);
  });

  it('durationMax is not reached while paused', () => {
    spec.given(scenario('paused')).when(input.tick(s(1_000))).then([]);
  });

  it('promote from paused enters the next stage with a fresh clock', () => {
    spec.given(scenario('paused')).when(input.command('promote', s(30))).thenTypes(['stage.entered', 'weight.desired']).thenView((v) => expect(v.phase).toBe('progressing'));
  });
});

describe('holding', () => {
  it('does not judge while holding and keeps the weight', () => {
    spec.given(scenario('holding')).when(input.window(s(133), 10, 10)).then([]).thenView((v) => expect(v).toMatchObject({ phase: 'holding', desiredWeightPercent: 100 }));
  });
});

describe('terminal phases: nothing changes the weight', () => {
  it.each(['rolledBack', 'completed', 'aborted'] as const)('%s', (phase) => {
    for (const event of [input.window(s(900), 10, 10), input.tick(s(901)), input.health(false, s(902)), input.applyFailed(9, 5, s(903))]) {
      const result = spec.given(scenario(phase)).when(event).then([]);
      expect(result.after.snapshot.context.desiredWeightPercent).toBe(result.before.snapshot.context.desiredWeightPercent);
      expect(result.after.snapshot.value).toBe(phase);
    }
  });
});
