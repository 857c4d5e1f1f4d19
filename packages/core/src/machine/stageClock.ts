import { areAllGatesPassing } from './gateJudging.js';
import { currentStage, type RolloutContext } from './rolloutContext.js';

/**
 * Stage time, computed from event times only. A stage's clock starts when the adapter verifies the stage's weight
 * (`weight.applied` of the stage's generation), not at stage entry: traffic at the old weight is not evidence for the
 * new one. Paused time after that moment does not count. Before the weight is applied the elapsed time is null, so
 * neither durationMin nor durationMax can be reached — a stage whose weight never applies waits for the reconciler.
 */
export function stageElapsedMs(context: RolloutContext, at: number): number | null {
  const appliedAt = context.stageWeightAppliedAt;
  if (appliedAt === null || at < appliedAt) return null;
  const pausedNowMs = context.pausedAt === null ? 0 : Math.max(0, at - Math.max(context.pausedAt, appliedAt));
  return at - appliedAt - context.pausedMsInStage - pausedNowMs;
}

/** durationMax of the current stage plus the extensions granted so far. */
export function effectiveDurationMaxMs(context: RolloutContext): number {
  const stage = currentStage(context);
  const extendBy = stage.onMaxDuration.action === 'extend' ? stage.onMaxDuration.extendBy : 0;
  return stage.durationMax + context.extensions * extendBy;
}

/** The stage passes when every gate passes, durationMin has elapsed and the stage saw samplesMin canary samples. */
export function isStagePassedAt(context: RolloutContext, at: number): boolean {
  const elapsedMs = stageElapsedMs(context, at);
  if (elapsedMs === null) return false;
  const stage = currentStage(context);
  return elapsedMs >= stage.durationMin && context.canarySamplesInStage >= stage.samplesMin && areAllGatesPassing(context);
}

export function isMaxDurationReachedAt(context: RolloutContext, at: number): boolean {
  const elapsedMs = stageElapsedMs(context, at);
  return elapsedMs !== null && elapsedMs >= effectiveDurationMaxMs(context);
}

export function canExtendStage(context: RolloutContext): boolean {
  const action = currentStage(context).onMaxDuration;
  return action.action === 'extend' && context.extensions < action.extensionsMax;
}

/** Whether the current gradual-rollback step has been held for the spec's stepDuration. */
export function isRollbackStepDueAt(context: RolloutContext, at: number): boolean {
  const rollback = context.rollback;
  const spec = context.spec;
  if (!rollback || !spec || rollback.stepAppliedAt === null || rollback.stepsPercent.length <= 1) return false;
  const stepDurationMs = spec.rollback.mode === 'gradual' ? spec.rollback.stepDuration : 0;
  return at - rollback.stepAppliedAt >= stepDurationMs;
}

/** The rollback's final step (weight 0) has been verified as applied. */
export function isRollbackFinished(context: RolloutContext): boolean {
  const rollback = context.rollback;
  return rollback !== null && rollback.stepsPercent.length === 1 && rollback.stepAppliedAt !== null;
}
