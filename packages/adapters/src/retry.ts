/**
 * The one backoff of Sluice (adapters, the daemon's reconciler and its webhooks all use `backoffDelayMs`), and bounded
 * retries built on it. Every limit is explicit: the number of attempts, the first and the largest delay.
 * `retryWithBackoff` is used inside adapters' `apply` for transient failures (a reload that has not finished, an admin
 * endpoint that refused a connection); deterministic failures (`nginx -t` rejecting a config) are not retried.
 */

/** How delays grow and how much of each is random. */
export interface BackoffPolicy {
  /** Delay before the second attempt, ms (before jitter). */
  delayMsInitial: number;
  /** Upper bound of any delay, ms. */
  delayMsMax: number;
  /** Growth factor between delays (2 doubles them). */
  multiplier: number;
  /**
   * Share of each delay that is random, 0–1: the delay is uniform in [(1 − jitterRatio) × base, base). 0 gives fixed
   * delays, 0.5 "equal jitter" (half fixed, half random), 1 "full jitter" (anything up to the base). Jitter keeps
   * many rollouts failing against one proxy from retrying in lockstep; a fixed part keeps a floor under each wait.
   */
  jitterRatio: number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in total, including the first; 1 means no retry. */
  attemptsMax: number;
}

/** Equal jitter: every delay is between half and all of its exponential base. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attemptsMax: 3, delayMsInitial: 100, delayMsMax: 2_000, multiplier: 2, jitterRatio: 0.5 };

export interface RetryHooks {
  /** Source of randomness in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  /** Waits `ms`; injectable for virtual time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Whether an error is worth another attempt; default every error. */
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * The delay after the `attempt`-th failure (attempt counts from 1): base = min(delayMsMax, delayMsInitial ×
 * multiplier^(attempt − 1)), of which the share `jitterRatio` is random — uniform in [(1 − jitterRatio) × base, base)
 * for `random` uniform in [0, 1). Whole ms.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  // Capped before it can overflow to Infinity: 0 × Infinity would be NaN for a zero first delay.
  const growth = Math.min(policy.multiplier ** Math.max(0, attempt - 1), Number.MAX_VALUE);
  const base = Math.min(policy.delayMsMax, policy.delayMsInitial * growth);
  const jitterRatio = Math.min(1, Math.max(0, policy.jitterRatio));
  return Math.round(base * (1 - jitterRatio) + base * jitterRatio * random());
}

export async function retryWithBackoff<T>(policy: RetryPolicy, run: (attempt: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  const random = hooks.random ?? Math.random;
  const sleep = hooks.sleep ?? sleepMs;
  const attemptsMax = Math.max(1, Math.floor(policy.attemptsMax));
  for (let attempt = 1; ; attempt++) {
    hooks.signal?.throwIfAborted();
    try {
      return await run(attempt);
    } catch (error) {
      const retryable = hooks.isRetryable ? hooks.isRetryable(error) : true;
      if (!retryable || attempt >= attemptsMax) throw error;
      const delayMs = backoffDelayMs(policy, attempt, random);
      hooks.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, hooks.signal);
    }
  }
}

export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
