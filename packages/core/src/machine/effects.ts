import type { CommandIssuedData, Evidence, NewDecisionEvent, RollbackReason, WeightAppliedData } from '../events/eventTypes.js';
import { formatDurationMs } from '../duration.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { describeVerdicts, initializeGates, type firstFailedGate } from './gateJudging.js';
import { currentStage, initialRolloutContext, specOf, type GateEvaluatorLookup, type RolloutContext, type Step } from './rolloutContext.js';
import { effectiveDurationMaxMs, stageElapsedMs } from './stageClock.js';

/**
 * The machine's effects as pure functions from (context, input time) to the next context and the decisions to record.
 * The XState machine chooses which one runs (states, guards); these compute what it means. None reads a clock.
 */

function desireWeight(context: RolloutContext, weightPercent: number, reason: string, at: number): Step {
  const generation = context.desiredGeneration + 1;
  return {
    context: { ...context, desiredWeightPercent: weightPercent, desiredGeneration: generation },
    decisions: [{ type: 'weight.desired', at, data: { weightPercent, generation, reason } }],
  };
}

function chain(first: Step, next: (context: RolloutContext) => Step): Step {
  const second = next(first.context);
  return { context: second.context, decisions: [...first.decisions, ...second.decisions] };
}

export function createRollout(spec: RolloutSpec, at: number, lookup: GateEvaluatorLookup): Step {
  return enterStage({ ...initialRolloutContext(), spec, createdAt: at }, 0, at, lookup);
}

/** Enters stage `index`: fresh gates and clock, `stage.entered`, and a new generation of the stage's weight. */
export function enterStage(context: RolloutContext, index: number, at: number, lookup: GateEvaluatorLookup): Step {
  const stage = specOf(context).stages[index];
  if (!stage) throw new Error(`assertion: no stage ${index}`);
  const entered: Step = {
    context: {
      ...context,
      stageIndex: index,
      stageEnteredAt: at,
      stageWeightAppliedAt: null,
      pausedAt: null,
      pausedMsInStage: 0,
      extensions: 0,
      canarySamplesInStage: 0,
      holdReason: null,
    },
    decisions: [{ type: 'stage.entered', at, data: { index, stage: stage.name, weightPercent: stage.weightPercent } }],
  };
  return chain(chain(entered, (c) => desireWeight(c, stage.weightPercent, `stage ${stage.name}`, at)), (c) => {
    const gates = initializeGates({ ...c, stageGeneration: c.desiredGeneration }, lookup, at);
    return gates;
  });
}

/** Decides to finish: desire 100% unless already desired; `completed` follows once that generation is verified. */
export function beginCompletion(context: RolloutContext, reason: string, at: number): Step {
  const step = context.desiredWeightPercent === 100 ? { context, decisions: [] } : desireWeight(context, 100, reason, at);
  return { context: { ...step.context, pausedAt: null, completionGeneration: step.context.desiredGeneration }, decisions: step.decisions };
}

export function complete(context: RolloutContext, at: number): Step {
  return {
    context: { ...context, outcome: 'completed', endedAt: at },
    decisions: [{ type: 'completed', at, data: { weightPercent: 100 } }],
  };
}

/** The weights a rollback passes through from the current desired weight: the spec's lower gradual steps, then 0. */
export function rollbackStepsFrom(spec: RolloutSpec, weightPercent: number): number[] {
  const steps = spec.rollback.mode === 'gradual' ? spec.rollback.stepsPercent.filter((w) => w > 0 && w < weightPercent) : [];
  return [...steps, 0];
}

export interface RollbackCause {
  reason: RollbackReason;
  gate?: string;
  evidence: Evidence;
}

export function startRollback(context: RolloutContext, cause: RollbackCause, at: number): Step {
  const stage = currentStage(context).name;
  // Steps start below the weight in force, not the desired one: a desired weight not yet verified (a new stage, a
  // promote to 100%) may not be serving, and a rollback must never raise the canary's share. Nothing applied yet
  // means nothing is serving: straight to 0.
  const inForcePercent = Math.min(context.desiredWeightPercent, context.appliedWeightPercent ?? 0);
  const stepsPercent = rollbackStepsFrom(specOf(context), inForcePercent);
  const started: NewDecisionEvent = {
    type: 'rollback.started',
    at,
    data: { reason: cause.reason, stage, ...(cause.gate === undefined ? {} : { gate: cause.gate }), evidence: cause.evidence },
  };
  const desired = desireWeight(context, stepsPercent[0] ?? 0, `rollback (${cause.reason})`, at);
  return {
    context: {
      ...desired.context,
      pausedAt: null,
      completionGeneration: null,
      rollback: {
        ...cause,
        stage,
        startedAt: at,
        stepsPercent,
        stepGeneration: desired.context.desiredGeneration,
        stepAppliedAt: null,
      },
    },
    decisions: [started, ...desired.decisions],
  };
}

export function gateFailureCause(failed: NonNullable<ReturnType<typeof firstFailedGate>>): RollbackCause {
  return { reason: failed.kind === 'health' ? 'health' : 'gate', gate: failed.gate, evidence: failed.evidence };
}

export function operatorCause(data: CommandIssuedData): RollbackCause {
  const who = data.actor ? ` by ${data.actor}` : '';
  return { reason: 'operator', evidence: { summary: `operator rollback${who}${data.reason ? `: ${data.reason}` : ''}`, actor: data.actor ?? null } };
}

export function maxDurationCause(context: RolloutContext, at: number): RollbackCause {
  const stage = currentStage(context);
  const elapsedMs = stageElapsedMs(context, at) ?? 0;
  const durationMaxMs = effectiveDurationMaxMs(context);
  return {
    reason: 'maxDuration',
    evidence: {
      summary:
        `stage "${stage.name}" did not pass within ${formatDurationMs(durationMaxMs)} (${context.extensions} extension(s)); ` +
        `gates: ${describeVerdicts(context)}; canary samples ${context.canarySamplesInStage}/${stage.samplesMin}`,
      elapsedMs,
      durationMaxMs,
      extensions: context.extensions,
      canarySamples: context.canarySamplesInStage,
      samplesMin: stage.samplesMin,
    },
  };
}

/**
 * Holds a stage that reached durationMax without passing (onMaxDuration: hold): missing evidence is not evidence of
 * harm, so the stage alerts (`stage.held`) and waits for an operator instead of rolling back, while its gates keep
 * judging. The evidence is the max-duration cause's, marked `reason: maxDuration` (it names no gate: no gate failed).
 */
export function holdAtMaxDuration(context: RolloutContext, at: number): Step {
  const cause = maxDurationCause(context, at);
  const stage = currentStage(context).name;
  const evidence = { ...cause.evidence, summary: `${cause.evidence.summary}; holding for an operator (promote, rollback or abort) while the gates keep judging`, reason: 'maxDuration' };
  const holdReason = { stage, evidence };
  return { context: { ...context, holdReason }, decisions: [{ type: 'stage.held', at, data: holdReason }] };
}

/** Next gradual-rollback step, once the current one was held for stepDuration. */
export function nextRollbackStep(context: RolloutContext, at: number): Step {
  const rollback = context.rollback;
  if (!rollback) throw new Error('assertion: no rollback in progress');
  const stepsPercent = rollback.stepsPercent.slice(1);
  const desired = desireWeight(context, stepsPercent[0] ?? 0, `rollback (${rollback.reason}) step`, at);
  return {
    context: { ...desired.context, rollback: { ...rollback, stepsPercent, stepGeneration: desired.context.desiredGeneration, stepAppliedAt: null } },
    decisions: desired.decisions,
  };
}

export function completeRollback(context: RolloutContext, at: number): Step {
  return {
    context: { ...context, outcome: 'rolledBack', endedAt: at },
    decisions: [{ type: 'rollback.completed', at, data: { weightPercent: 0 } }],
  };
}

export function abort(context: RolloutContext, data: CommandIssuedData, at: number): Step {
  const step = context.desiredWeightPercent === 0 ? { context, decisions: [] } : desireWeight(context, 0, 'abort', at);
  const reason = `aborted${data.actor ? ` by ${data.actor}` : ''}${data.reason ? `: ${data.reason}` : ''}`;
  return {
    context: { ...step.context, pausedAt: null, outcome: 'aborted', endedAt: at },
    decisions: [...step.decisions, { type: 'aborted', at, data: { reason } }],
  };
}

export function pause(context: RolloutContext, data: CommandIssuedData, at: number): Step {
  const reason = `paused${data.actor ? ` by ${data.actor}` : ''}${data.reason ? `: ${data.reason}` : ''}`;
  return { context: { ...context, pausedAt: at }, decisions: [{ type: 'paused', at, data: { reason } }] };
}

/** Ends a pause; the part of it after the stage's weight was applied is excluded from the stage's elapsed time. */
export function resume(context: RolloutContext, at: number): Step {
  const pausedAt = context.pausedAt ?? at;
  const appliedAt = context.stageWeightAppliedAt;
  const pausedMs = appliedAt === null ? 0 : Math.max(0, at - Math.max(pausedAt, appliedAt));
  return {
    context: { ...context, pausedAt: null, pausedMsInStage: context.pausedMsInStage + pausedMs },
    decisions: [{ type: 'resumed', at, data: {} }],
  };
}

export function hold(context: RolloutContext, failed: NonNullable<ReturnType<typeof firstFailedGate>>, at: number): Step {
  const holdReason = { stage: currentStage(context).name, gate: failed.gate, evidence: failed.evidence };
  return { context: { ...context, holdReason }, decisions: [{ type: 'stage.held', at, data: holdReason }] };
}

export function awaitApproval(context: RolloutContext, at: number): Step {
  const stage = currentStage(context);
  const webhook = stage.approval?.webhook;
  return {
    context,
    decisions: [{ type: 'stage.awaitingApproval', at, data: { stage: stage.name, ...(webhook ? { webhook } : {}) } }],
  };
}

export function extendStage(context: RolloutContext, at: number): Step {
  const extended = { ...context, extensions: context.extensions + 1 };
  const data = { stage: currentStage(context).name, extension: extended.extensions, durationMax: effectiveDurationMaxMs(extended) };
  return { context: extended, decisions: [{ type: 'stage.extended', at, data }] };
}

/**
 * Records what the adapter verified. The first report of the stage's generation starts the stage clock; a report of
 * the current rollback step's generation starts that step's hold. A report whose weight differs from what that
 * generation asked for is kept as the applied state but starts no clock. A report of a generation older than the one
 * already verified is stale (adapters apply generations in order) and changes nothing.
 */
export function recordWeightApplied(context: RolloutContext, data: WeightAppliedData, at: number): RolloutContext {
  if (data.generation < context.appliedGeneration) return context;
  const next: RolloutContext = { ...context, appliedWeightPercent: data.weightPercent, appliedGeneration: data.generation };
  const stageWeight = context.spec?.stages[context.stageIndex]?.weightPercent;
  if (data.generation === context.stageGeneration && context.stageWeightAppliedAt === null && data.weightPercent === stageWeight) {
    next.stageWeightAppliedAt = at;
  }
  const rollback = context.rollback;
  if (rollback && data.generation === rollback.stepGeneration && rollback.stepAppliedAt === null && data.weightPercent === rollback.stepsPercent[0]) {
    next.rollback = { ...rollback, stepAppliedAt: at };
  }
  return next;
}
