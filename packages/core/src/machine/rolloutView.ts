import type { Evidence, GateEvaluatedData, RollbackReason, StageHeldData } from '../events/eventTypes.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { contextOf, isTerminal, phaseOf, type RolloutState } from './decider.js';
import type { RolloutOutcome, RolloutPhase } from './rolloutContext.js';

/** A read-only picture of a rollout, for status endpoints, the CLI and the reconciler. Plain data, JSON-safe. */
export interface RolloutView {
  /** The spec's id; null before `rollout.created`. */
  rolloutId: string | null;
  phase: RolloutPhase;
  spec: RolloutSpec | null;
  stageIndex: number;
  stageName: string | null;
  /** What the adapter should be serving; the reconciler drives the adapter to it. */
  desiredWeightPercent: number;
  desiredGeneration: number;
  /** What the adapter last verified, or null before its first report. */
  appliedWeightPercent: number | null;
  appliedGeneration: number;
  /** When the rollout was created (`rollout.created`): its age, as `kubectl get rollouts` shows it. */
  createdAt: number | null;
  stageEnteredAt: number | null;
  /** When the adapter verified the stage's weight: the stage's clock starts here. */
  stageWeightAppliedAt: number | null;
  /** Latest verdict of each gate of the current stage, by gate name. */
  lastVerdicts: Record<string, GateEvaluatedData>;
  /** Why the stage holds (phase `holding`), else null. */
  holdReason: StageHeldData | null;
  /** The rollback in progress or done, else null. */
  rollback: { reason: RollbackReason; stage: string; gate?: string; evidence: Evidence; startedAt: number } | null;
  /** Canary samples judged in the current stage. */
  canarySamplesInStage: number;
  terminal: boolean;
  outcome: RolloutOutcome | null;
  /** When the terminal decision was made. */
  endedAt: number | null;
}

export function rolloutView(state: RolloutState): RolloutView {
  const context = contextOf(state);
  const phase = phaseOf(state);
  const rollback = context.rollback;
  return {
    rolloutId: context.spec?.id ?? null,
    phase,
    spec: context.spec,
    stageIndex: context.stageIndex,
    stageName: context.spec?.stages[context.stageIndex]?.name ?? null,
    desiredWeightPercent: context.desiredWeightPercent,
    desiredGeneration: context.desiredGeneration,
    appliedWeightPercent: context.appliedWeightPercent,
    appliedGeneration: context.appliedGeneration,
    createdAt: context.createdAt,
    stageEnteredAt: context.stageEnteredAt,
    stageWeightAppliedAt: context.stageWeightAppliedAt,
    lastVerdicts: context.lastVerdicts,
    holdReason: phase === 'holding' ? context.holdReason : null,
    rollback: rollback
      ? {
          reason: rollback.reason,
          stage: rollback.stage,
          ...(rollback.gate === undefined ? {} : { gate: rollback.gate }),
          evidence: rollback.evidence,
          startedAt: rollback.startedAt,
        }
      : null,
    canarySamplesInStage: context.canarySamplesInStage,
    terminal: isTerminal(state),
    outcome: context.outcome,
    endedAt: context.endedAt,
  };
}
