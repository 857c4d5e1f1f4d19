import { replay, type EventLog, type NewDecisionEvent, type OutcomeComparison, type RolloutSpec } from '@sluice/core/replay';

/**
 * Every decision today's machine makes from a rollout's recorded inputs, gate verdicts included, with their evidence.
 *
 * The report draws every window's verdict and e-value, but the log keeps a `gate.evaluated` only when it says something
 * new (DESIGN, "Events"), so the report recomputes them instead of reading them. This is the one place that asks the
 * core for them: when replay's API changes, only this function changes.
 */
export interface Recomputed {
  /** In input order; each decision's `at` is the time of the input that caused it. */
  decisions: NewDecisionEvent[];
  reproduced: boolean;
  divergenceCount: number;
  comparison: OutcomeComparison;
}

export function recomputeDecisions(log: Pick<EventLog, 'readRecorded'>, rolloutId: string, whatIfSpec?: RolloutSpec): Recomputed {
  const result = replay(log, rolloutId, { keepDecisions: true, everyVerdict: true, divergencesMax: 0, ...(whatIfSpec ? { spec: whatIfSpec } : {}) });
  return { decisions: result.decisions, reproduced: result.reproduced, divergenceCount: result.divergenceCount, comparison: result.comparison };
}
