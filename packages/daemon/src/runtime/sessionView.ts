import type { RolloutSession } from '@sluice/core';

/**
 * The few facts the daemon's loops read from a session's view, in one place so that the rest of the daemon does not
 * depend on the view's exact shape.
 */
export interface RolloutWeights {
  desiredWeightPercent: number;
  desiredGeneration: number;
  appliedWeightPercent: number | null;
  appliedGeneration: number;
  /** Rolling back (or rolled back / aborted): an unapplied weight is an incident, retried for ever. */
  rollingBack: boolean;
}

type View = RolloutSession['view'];

export function weightsOf(view: View): RolloutWeights {
  return {
    desiredWeightPercent: view.desiredWeightPercent,
    desiredGeneration: view.desiredGeneration,
    appliedWeightPercent: view.appliedWeightPercent,
    appliedGeneration: view.appliedGeneration,
    rollingBack: view.phase === 'rollingBack' || view.phase === 'rolledBack' || view.phase === 'aborted',
  };
}
