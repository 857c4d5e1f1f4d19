import { describe, expect, it } from 'vitest';
import { OPERATOR_COMMANDS, type OperatorCommand } from '../events/eventTypes.js';
import { ACCEPTED_COMMANDS } from './commandRules.js';
import { createRolloutDecider, phaseOf } from './decider.js';
import { ROLLOUT_PHASES, type RolloutPhase } from './rolloutContext.js';
import { deciderSpecification } from './testing/deciderSpecification.js';
import { input, testGateEvaluatorFor } from './testing/fixtures.js';
import { s, scenario } from './testing/scenarios.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
const spec = deciderSpecification(decider);

describe('scenarios reach the phase they are named after', () => {
  it.each(ROLLOUT_PHASES)('%s', (phase) => {
    let state = decider.initialState();
    for (const event of scenario(phase)) state = decider.decide(state, event).state;
    expect(phaseOf(state)).toBe(phase);
  });
});

describe('every command in every phase: accepted, or rejected with a reason and no state change', () => {
  const cases: [RolloutPhase, OperatorCommand][] = ROLLOUT_PHASES.flatMap((phase) => OPERATOR_COMMANDS.map((command) => [phase, command] as [RolloutPhase, OperatorCommand]));
  it.each(cases)('%s: %s', (phase, command) => {
    const result = spec.given(scenario(phase)).when(input.command(command, s(500)));
    if (ACCEPTED_COMMANDS[phase].includes(command)) {
      expect(result.decisions.map((d) => d.type)).not.toContain('command.rejected');
      expect(result.decisions.length).toBeGreaterThan(0);
    } else {
      expect(result.decisions).toEqual([
        { type: 'command.rejected', at: s(500), data: { command, state: phase, reason: expect.stringMatching(/\S/) as string } },
      ]);
      expect(result.after.snapshot.value).toBe(result.before.snapshot.value);
      expect(result.after.snapshot.context).toEqual(result.before.snapshot.context);
    }
  });

  it('names why in words an operator can act on', () => {
    spec.given(scenario('progressing')).when(input.command('resume', s(30))).then([
      { type: 'command.rejected', at: s(30), data: { command: 'resume', state: 'progressing', reason: 'the rollout is not paused (accepted while progressing: promote, promoteFull, pause, abort, rollback)' } },
    ]);
    spec.given(scenario('completed')).when(input.command('promote', s(30))).then([
      { type: 'command.rejected', at: s(30), data: { command: 'promote', state: 'completed', reason: 'the rollout has completed and is over; start a new rollout' } },
    ]);
  });
});

describe('accepted commands', () => {
  it('promote enters the next stage now', () => {
    spec.given(scenario('progressing')).when(input.command('promote', s(10))).then([
      { type: 'stage.entered', at: s(10), data: { index: 1, stage: 'ramp', weightPercent: 50 } },
      { type: 'weight.desired', at: s(10), data: { weightPercent: 50, generation: 2, reason: 'stage ramp' } },
    ]);
  });

  it('promote from the last stage completes once 100% is applied', () => {
    const atLast = [...scenario('progressing'), input.command('promote', s(10)), input.command('promote', s(11))];
    spec.given(atLast).when(input.command('promote', s(13))).thenTypes([]).thenView((v) => expect(v.phase).toBe('completing'));
    spec.given([...atLast, input.command('promote', s(13))]).when(input.applied(3, 100, s(14))).then([{ type: 'completed', at: s(14), data: { weightPercent: 100 } }]);
    // With 100% already verified, promote completes at once.
    spec.given([...atLast, input.applied(3, 100, s(12))]).when(input.command('promote', s(13))).thenTypes(['completed']);
  });

  it('promoteFull desires 100% and completes when the adapter verifies it', () => {
    spec.given(scenario('progressing')).when(input.command('promoteFull', s(10))).then([
      { type: 'weight.desired', at: s(10), data: { weightPercent: 100, generation: 2, reason: 'promoteFull' } },
    ]);
    spec.given(scenario('completing')).when(input.applied(2, 100, s(11))).then([{ type: 'completed', at: s(11), data: { weightPercent: 100 } }])
      .thenView((v) => expect(v).toMatchObject({ phase: 'completed', terminal: true, outcome: 'completed', endedAt: s(11) }));
  });

  it('pause and resume', () => {
    spec.given(scenario('progressing')).when(input.command('pause', s(20))).then([{ type: 'paused', at: s(20), data: { reason: 'paused by alice' } }]);
    spec.given(scenario('paused')).when(input.command('resume', s(40))).then([{ type: 'resumed', at: s(40), data: {} }]).thenView((v) => expect(v.phase).toBe('progressing'));
  });

  it('abort desires 0% and ends the rollout at once', () => {
    spec.given(scenario('progressing')).when(input.command('abort', s(10))).then([
      { type: 'weight.desired', at: s(10), data: { weightPercent: 0, generation: 2, reason: 'abort' } },
      { type: 'aborted', at: s(10), data: { reason: 'aborted by alice' } },
    ]).thenView((v) => expect(v).toMatchObject({ phase: 'aborted', terminal: true, outcome: 'aborted', desiredWeightPercent: 0 }));
  });

  it('abort during a rollback already at 0% only ends it', () => {
    spec.given(scenario('rollingBack')).when(input.command('abort', s(70))).then([{ type: 'aborted', at: s(70), data: { reason: 'aborted by alice' } }]);
  });

  it('rollback by an operator names the operator', () => {
    spec.given(scenario('holding')).when({ type: 'command.issued', at: s(130), data: { command: 'rollback', actor: 'bob', reason: 'p99 looks off' } }).then([
      { type: 'rollback.started', at: s(130), data: { reason: 'operator', stage: 'rollout', evidence: { summary: 'operator rollback by bob: p99 looks off', actor: 'bob' } } },
      { type: 'weight.desired', at: s(130), data: { weightPercent: 0, generation: 4, reason: 'rollback (operator)' } },
    ]);
  });

  it('approve leaves a stage waiting for approval', () => {
    spec.given(scenario('awaitingApproval')).when(input.command('approve', s(70))).thenTypes(['stage.entered', 'weight.desired']);
  });

  it('promote and promoteFull from holding', () => {
    spec.given(scenario('holding')).when(input.command('promote', s(130))).thenTypes(['completed']).thenView((v) => expect(v.phase).toBe('completed'));
    spec.given(scenario('holding')).when(input.command('promoteFull', s(130))).thenTypes(['completed']);
  });
});
