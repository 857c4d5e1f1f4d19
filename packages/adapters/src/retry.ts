/**
 * Bounded retries with exponential backoff and full jitter. Every limit is explicit: the number of attempts, the first
 * and the largest delay. Used inside adapters' `apply` for transient failures (a reload that has not finished, an
 * admin endpoint that refused a connection); deterministic failures (`nginx -t` rejecting a config) are not retried.
 */
export interface RetryPolicy {
  /** Attempts in total, including the first; 1 means no retry. */
  attemptsMax: number;
  /** Delay before the second attempt, before jitter. */
  delayMsInitial: number;
  /** Upper bound of any delay. */
  delayMsMax: number;
  /** Growth factor between delays. */
  multiplier: number;
  /** Share of each delay that is randomised (0 = fixed delays, 1 = full jitter). */
  jitterRatio: number;
}

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

/** Delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.delayMsMax, policy.delayMsInitial * policy.multiplier ** (attempt - 1));
  const jitter = base * policy.jitterRatio * random();
  return Math.round(base - jitter);
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
