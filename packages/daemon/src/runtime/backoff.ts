import { backoffDelayMs, type BackoffPolicy } from '@sluice/adapters';

/** First retry delay of a failed apply, ms. */
export const BACKOFF_MS_MIN = 250;
/** Longest delay between two apply attempts, ms: a rollback that cannot be applied is retried at least this often. */
export const BACKOFF_MS_MAX = 30_000;

/**
 * The reconciler's retries of a failed apply: doubling from 250 ms to 30 s with equal jitter (half of each delay
 * random), so many rollouts failing against the same proxy do not retry in lockstep. The formula is the one backoff
 * of @sluice/adapters.
 */
export const RECONCILER_BACKOFF: BackoffPolicy = { delayMsInitial: BACKOFF_MS_MIN, delayMsMax: BACKOFF_MS_MAX, multiplier: 2, jitterRatio: 0.5 };

/** Delay before the next apply after `attempt` failures so far (1 after the first failure). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return backoffDelayMs(RECONCILER_BACKOFF, attempt, random);
}
