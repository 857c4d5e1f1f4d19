import type {
  CommandIssuedData,
  Evidence,
  GateEvaluatedData,
  NewDecisionEvent,
  NewInputEvent,
  OperatorCommand,
  RollbackReason,
  StageHeldData,
} from '../events/eventTypes.js';
import type { GateEvaluator } from '../judge/gate.js';
import type { GateConfig, RolloutSpec, StageSpec } from '../spec/specSchema.js';

/**
 * The phases of a rollout, one XState state each. `completing` waits for the adapter to verify 100% before the
 * rollout is `completed`, as `rollingBack` waits for 0% before it is `rolledBack`.
 */
export const ROLLOUT_PHASES = [
  'pending',
  'progressing',
  'awaitingApproval',
  'paused',
  'holding',
  'completing',
  'rollingBack',
  'rolledBack',
  'completed',
  'aborted',
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export const TERMINAL_PHASES: readonly RolloutPhase[] = ['rolledBack', 'completed', 'aborted'];
export type RolloutOutcome = 'completed' | 'rolledBack' | 'aborted';

/** Finds the judge's evaluator for a gate kind; `undefined` when this build has none (the gate can then never pass). */
export type GateEvaluatorLookup = (kind: GateConfig['kind']) => GateEvaluator | undefined;

/** A rollback in progress: why, from where, and which step of the spec's rollback it is at. */
export interface RollbackProgress {
  reason: RollbackReason;
  stage: string;
  gate?: string;
  evidence: Evidence;
  startedAt: number;
  /** Weights still to pass through, current one first; the last is always 0. */
  stepsPercent: number[];
  /** Generation of the current step's weight.desired. */
  stepGeneration: number;
  /** When the adapter verified the current step, or null while it has not. */
  stepAppliedAt: number | null;
}

/**
 * Everything the machine knows, as plain data (so replay, equality checks and JSON dumps work). Times are the `at` of
 * the inputs that set them; nothing here is read from a clock.
 */
export interface RolloutContext {
  spec: RolloutSpec | null;
  createdAt: number | null;
  stageIndex: number;
  stageEnteredAt: number | null;
  /** Generation desired at stage entry; the stage's clock starts when the adapter reports it applied. */
  stageGeneration: number;
  stageWeightAppliedAt: number | null;
  /** Set while paused: when the pause started. */
  pausedAt: number | null;
  /** Paused time that fell after the stage's weight was applied; subtracted from the stage's elapsed time. */
  pausedMsInStage: number;
  extensions: number;
  canarySamplesInStage: number;
  /** One state per gate of the current stage, in spec order; null when the gate has no evaluator. */
  gateStates: unknown[];
  lastVerdicts: Record<string, GateEvaluatedData>;
  desiredWeightPercent: number;
  desiredGeneration: number;
  appliedWeightPercent: number | null;
  appliedGeneration: number;
  holdReason: StageHeldData | null;
  rollback: RollbackProgress | null;
  /** Generation whose verified application completes the rollout (set in `completing`). */
  completionGeneration: number | null;
  outcome: RolloutOutcome | null;
  endedAt: number | null;
}

export function initialRolloutContext(): RolloutContext {
  return {
    spec: null,
    createdAt: null,
    stageIndex: 0,
    stageEnteredAt: null,
    stageGeneration: 0,
    stageWeightAppliedAt: null,
    pausedAt: null,
    pausedMsInStage: 0,
    extensions: 0,
    canarySamplesInStage: 0,
    gateStates: [],
    lastVerdicts: {},
    desiredWeightPercent: 0,
    desiredGeneration: 0,
    appliedWeightPercent: null,
    appliedGeneration: 0,
    holdReason: null,
    rollback: null,
    completionGeneration: null,
    outcome: null,
    endedAt: null,
  };
}

/** Operator commands become their own machine events (`command.promote`, …) so each state lists the ones it accepts. */
export type CommandEvent = { [C in OperatorCommand]: { type: `command.${C}`; at: number; data: CommandIssuedData } }[OperatorCommand];
export type MachineEvent = Exclude<NewInputEvent, { type: 'command.issued' }> | CommandEvent;

export function toMachineEvent(input: NewInputEvent): MachineEvent {
  if (input.type === 'command.issued') return { type: `command.${input.data.command}`, at: input.at, data: input.data } as CommandEvent;
  return input;
}

/** What an effect computes: the next context and the decisions to record, in order. */
export interface Step {
  context: RolloutContext;
  decisions: NewDecisionEvent[];
}

/** The current stage; only valid once the rollout was created. */
export function currentStage(context: RolloutContext): StageSpec {
  const stage = context.spec?.stages[context.stageIndex];
  if (!stage) throw new Error(`assertion: no stage ${context.stageIndex} in context`);
  return stage;
}

export function specOf(context: RolloutContext): RolloutSpec {
  if (!context.spec) throw new Error('assertion: rollout not created yet');
  return context.spec;
}
