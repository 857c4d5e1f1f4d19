import { and, enqueueActions, setup, type EventObject } from 'xstate';
import type { NewDecisionEvent, NewInputEvent, OperatorCommand } from '../events/eventTypes.js';
import { commandRejected } from './commandRules.js';
import * as effects from './effects.js';
import { firstFailedGate, observeGates } from './gateJudging.js';
import type { CommandEvent, GateEvaluatorLookup, MachineEvent, RolloutContext, RolloutPhase, Step } from './rolloutContext.js';
import { initialRolloutContext } from './rolloutContext.js';
import { canExtendStage, isMaxDurationReachedAt, isRollbackFinished, isRollbackStepDueAt, isStagePassedAt } from './stageClock.js';

/**
 * The rollout machine: XState v5, pure. It is only ever folded with `initialTransition`/`transition`; it has no
 * timers, reads no clock and runs no effects. Decisions are the `record` actions that `transition` returns (their
 * params are the decision events); every other action is an `assign`, computed by the pure functions in effects.ts.
 * Time-based guards read the triggering input's `at`, so the elapsed time of a stage comes from event times only.
 */

/** Time of the input being processed; XState's own init event has none. */
function atOf(event: EventObject): number | null {
  const at = (event as { at?: unknown }).at;
  return typeof at === 'number' ? at : null;
}

/**
 * Time for the time-based guards (durationMin/Max, rollback steps): every input but an operator command, so that a
 * command changes only what it commands (a rejected one changes nothing); the next input after it checks the clock.
 */
function clockAtOf(event: EventObject): number | null {
  return event.type.startsWith('command.') ? null : atOf(event);
}

/**
 * The fields of `next` that differ from `previous`: XState's assign copies the context and then the update into a new
 * object, so handing it the whole next context would copy every field twice for each input (replay folds ~100,000
 * inputs a second, and an input usually changes two or three fields). Effects never delete a field.
 */
function changedFields(previous: RolloutContext, next: RolloutContext): Partial<RolloutContext> {
  const changed: Record<string, unknown> = {};
  for (const key in next) {
    const value = next[key as keyof RolloutContext];
    if (value !== previous[key as keyof RolloutContext]) changed[key] = value;
  }
  return changed as Partial<RolloutContext>;
}

/** The only action an effect enqueues besides `assign`. */
type RecordAction = { type: 'record'; params: NewDecisionEvent };

function commandOf(event: EventObject): OperatorCommand {
  return event.type.slice('command.'.length) as OperatorCommand;
}

export function createRolloutMachine(lookup: GateEvaluatorLookup) {
  /** Wraps an effect: assigns its context and enqueues one `record` action per decision, in order. */
  const effect = (compute: (context: RolloutContext, event: MachineEvent, at: number) => Step) =>
    enqueueActions<RolloutContext, MachineEvent, undefined, MachineEvent, never, RecordAction, never, never, never>(({ context, event, enqueue }) => {
      const step = compute(context, event, atOf(event) ?? 0);
      if (step.context !== context) enqueue.assign(() => changedFields(context, step.context));
      for (const decision of step.decisions) enqueue({ type: 'record', params: decision });
    });
  const failed = (context: RolloutContext) => {
    const gate = firstFailedGate(context);
    if (!gate) throw new Error('assertion: no failed gate');
    return gate;
  };
  const command = (event: MachineEvent) => (event as CommandEvent).data;

  return setup({
    types: { context: {} as RolloutContext, events: {} as MachineEvent },
    actions: {
      /** A decision. Deliberately does nothing when run: callers read decisions from `transition`'s action list. */
      record: (_args, _decision: NewDecisionEvent) => undefined as void,
      createRollout: effect((_c, event, at) => effects.createRollout((event as Extract<MachineEvent, { type: 'rollout.created' }>).data.spec, at, lookup)),
      observeGates: effect((context, event) => observeGates(context, event as NewInputEvent, lookup)),
      recordWeightApplied: effect((context, event, at) => ({
        context: effects.recordWeightApplied(context, (event as Extract<MachineEvent, { type: 'weight.applied' }>).data, at),
        decisions: [],
      })),
      enterNextStage: effect((context, _e, at) => effects.enterStage(context, context.stageIndex + 1, at, lookup)),
      beginCompletion: effect((context, _e, at) => effects.beginCompletion(context, 'complete', at)),
      promoteFull: effect((context, _e, at) => effects.beginCompletion(context, 'promoteFull', at)),
      complete: effect((context, _e, at) => effects.complete(context, at)),
      awaitApproval: effect((context, _e, at) => effects.awaitApproval(context, at)),
      holdStage: effect((context, _e, at) => effects.hold(context, failed(context), at)),
      extendStage: effect((context, _e, at) => effects.extendStage(context, at)),
      rollBackOnGate: effect((context, _e, at) => effects.startRollback(context, effects.gateFailureCause(failed(context)), at)),
      rollBackOnMaxDuration: effect((context, _e, at) => effects.startRollback(context, effects.maxDurationCause(context, at), at)),
      holdAtMaxDuration: effect((context, _e, at) => effects.holdAtMaxDuration(context, at)),
      releaseHold: effect((context) => ({ context: { ...context, holdReason: null }, decisions: [] })),
      rollBackOnCommand: effect((context, event, at) => effects.startRollback(context, effects.operatorCause(command(event)), at)),
      nextRollbackStep: effect((context, _e, at) => effects.nextRollbackStep(context, at)),
      completeRollback: effect((context, _e, at) => effects.completeRollback(context, at)),
      abort: effect((context, event, at) => effects.abort(context, command(event), at)),
      pause: effect((context, event, at) => effects.pause(context, command(event), at)),
      resume: effect((context, _e, at) => effects.resume(context, at)),
      rejectCommand: enqueueActions<RolloutContext, MachineEvent, { phase: RolloutPhase }, MachineEvent, never, RecordAction, never, never, never>(({ event, enqueue }, { phase }) => {
        enqueue({ type: 'record', params: commandRejected(phase, commandOf(event), atOf(event) ?? 0) });
      }),
    },
    guards: {
      hasFailedGateRollingBack: ({ context }) => firstFailedGate(context) !== undefined && currentOnFail(context) === 'rollback',
      hasFailedGateHolding: ({ context }) => firstFailedGate(context) !== undefined && currentOnFail(context) === 'hold',
      isStagePassed: ({ context, event }) => clockAtOf(event) !== null && isStagePassedAt(context, clockAtOf(event)!),
      isApprovalRequired: ({ context }) => {
        const approval = context.spec?.stages[context.stageIndex]?.approval;
        return approval !== undefined && (approval.manual || approval.webhook !== undefined);
      },
      isLastStage: ({ context }) => context.spec !== null && context.stageIndex === context.spec.stages.length - 1,
      isMaxDurationReached: ({ context, event }) => clockAtOf(event) !== null && isMaxDurationReachedAt(context, clockAtOf(event)!),
      canExtendStage: ({ context }) => canExtendStage(context),
      isHoldAtMaxDuration: ({ context }) => context.spec?.stages[context.stageIndex]?.onMaxDuration.action === 'hold',
      isHeldAtMaxDuration: ({ context }) => context.holdReason !== null && context.holdReason.evidence.reason === 'maxDuration',
      isCompletionApplied: ({ context }) => context.completionGeneration !== null && context.appliedGeneration >= context.completionGeneration && context.appliedWeightPercent === 100,
      isRollbackStepDue: ({ context, event }) => clockAtOf(event) !== null && isRollbackStepDueAt(context, clockAtOf(event)!),
      isRollbackFinished: ({ context }) => isRollbackFinished(context),
    },
  }).createMachine({
    id: 'rollout',
    context: initialRolloutContext(),
    initial: 'pending',
    // Every state ends its `on` with `...rejectOtherCommands(phase)`: a command it does not list is rejected there.
    on: { 'weight.applied': { actions: 'recordWeightApplied' } },
    states: {
      pending: {
        on: { 'rollout.created': { target: 'progressing', actions: 'createRollout' }, ...rejectOtherCommands('pending') },
      },
      progressing: {
        on: {
          ...judgedInputs,
          ...promotion,
          'command.pause': { target: 'paused', actions: 'pause' },
          ...stopping,
          ...rejectOtherCommands('progressing'),
        },
        always: [
          ...onGateFailure,
          { guard: and(['isStagePassed', 'isApprovalRequired']), target: 'awaitingApproval', actions: 'awaitApproval' },
          { guard: and(['isStagePassed', 'isLastStage']), target: 'completing', actions: 'beginCompletion' },
          { guard: 'isStagePassed', actions: 'enterNextStage' },
          { guard: and(['isMaxDurationReached', 'canExtendStage']), actions: 'extendStage' },
          { guard: and(['isMaxDurationReached', 'isHoldAtMaxDuration']), target: 'holding', actions: 'holdAtMaxDuration' },
          { guard: 'isMaxDurationReached', target: 'rollingBack', actions: 'rollBackOnMaxDuration' },
        ],
      },
      awaitingApproval: {
        // Gates keep protecting a stage that passed: a failure while waiting still rolls back or holds.
        on: {
          ...judgedInputs,
          ...promotion,
          'command.approve': promotion['command.promote'],
          ...stopping,
          ...rejectOtherCommands('awaitingApproval'),
        },
        always: [...onGateFailure],
      },
      paused: {
        // Judging and the stage clock are frozen: judged inputs are not observed (they stay in the log).
        on: {
          ...promotion,
          'command.resume': { target: 'progressing', actions: 'resume' },
          ...stopping,
          ...rejectOtherCommands('paused'),
        },
      },
      holding: {
        // Waits for an operator. After a gate failed (onFail: hold) the gates are not judged meanwhile and the failed
        // verdict stays as the hold reason. A stage held at its maximum duration (onMaxDuration: hold, Judge II) keeps
        // its gates judging: a fail still rolls back (or holds on it), and a stage that passes later advances by itself.
        on: {
          'samples.window': { guard: 'isHeldAtMaxDuration', actions: 'observeGates' },
          'health.checked': { guard: 'isHeldAtMaxDuration', actions: 'observeGates' },
          'metric.observed': { guard: 'isHeldAtMaxDuration', actions: 'observeGates' },
          tick: { guard: 'isHeldAtMaxDuration', actions: 'observeGates' },
          ...promotion,
          ...stopping,
          ...rejectOtherCommands('holding'),
        },
        always: [
          { guard: and(['isHeldAtMaxDuration', 'hasFailedGateRollingBack']), target: 'rollingBack', actions: 'rollBackOnGate' },
          { guard: and(['isHeldAtMaxDuration', 'hasFailedGateHolding']), actions: 'holdStage' },
          { guard: and(['isHeldAtMaxDuration', 'isStagePassed']), target: 'progressing', actions: 'releaseHold' },
        ],
      },
      completing: {
        on: { ...stopping, ...rejectOtherCommands('completing') },
        always: { guard: 'isCompletionApplied', target: 'completed', actions: 'complete' },
      },
      rollingBack: {
        on: { 'command.abort': { target: 'aborted', actions: 'abort' }, ...rejectOtherCommands('rollingBack') },
        always: [
          { guard: 'isRollbackFinished', target: 'rolledBack', actions: 'completeRollback' },
          { guard: 'isRollbackStepDue', actions: 'nextRollbackStep' },
        ],
      },
      rolledBack: { tags: ['terminal'], on: rejectOtherCommands('rolledBack') },
      completed: { tags: ['terminal'], on: rejectOtherCommands('completed') },
      aborted: { tags: ['terminal'], on: rejectOtherCommands('aborted') },
    },
  });
}

function currentOnFail(context: RolloutContext): 'rollback' | 'hold' | undefined {
  return context.spec?.stages[context.stageIndex]?.onFail;
}

/** Inputs the gates judge. A tick is one of them: a gate may conclude from time passing, and time-based guards run. */
const judgedInputs = {
  'samples.window': { actions: 'observeGates' },
  'health.checked': { actions: 'observeGates' },
  'metric.observed': { actions: 'observeGates' },
  tick: { actions: 'observeGates' },
} as const;

/** `promote` goes to the next stage now (or completes from the last one); `promoteFull` goes straight to 100%. */
const promotion = {
  'command.promote': [
    { guard: 'isLastStage', target: 'completing', actions: 'beginCompletion' },
    { target: 'progressing', actions: 'enterNextStage' },
  ],
  'command.promoteFull': { target: 'completing', actions: 'promoteFull' },
} as const;

/** Abort and operator rollback, accepted by every live phase except rollingBack (which accepts only abort). */
const stopping = {
  'command.abort': { target: 'aborted', actions: 'abort' },
  'command.rollback': { target: 'rollingBack', actions: 'rollBackOnCommand' },
} as const;

/** The catch-all of a state: exact command events listed before it win, any other command is rejected. */
function rejectOtherCommands(phase: RolloutPhase) {
  return { 'command.*': { actions: { type: 'rejectCommand', params: { phase } } } } as const;
}

const onGateFailure = [
  { guard: 'hasFailedGateRollingBack', target: 'rollingBack', actions: 'rollBackOnGate' },
  { guard: 'hasFailedGateHolding', target: 'holding', actions: 'holdStage' },
] as const;

export type RolloutMachine = ReturnType<typeof createRolloutMachine>;
