import { areAllGatesPassing } from './gateJudging.js';
import { currentStage, type RolloutContext } from './rolloutContext.js';
import { stageElapsedMs } from './stageElapsed.js';

export { stageElapsedMs };

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
