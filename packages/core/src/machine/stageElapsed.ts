import type { RolloutContext } from './rolloutContext.js';

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
