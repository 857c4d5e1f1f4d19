/** First retry delay of a failed apply, ms. */
export const BACKOFF_MS_MIN = 250;
/** Longest delay between two apply attempts, ms: a rollback that cannot be applied is retried at least this often. */
export const BACKOFF_MS_MAX = 30_000;

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so many rollouts failing against the
 * same proxy do not retry in lockstep. `attempt` counts failures so far (1 after the first failure).
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_MS_MAX, BACKOFF_MS_MIN * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
