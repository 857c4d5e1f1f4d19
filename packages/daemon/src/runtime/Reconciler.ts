import type { TrafficAdapter, WeightState } from '@sluice/core';
import type { Logger } from 'pino';
import { backoffMs } from './backoff.js';
import type { AdapterFactory, RolloutEntry, RolloutRuntime } from './RolloutRuntime.js';
import { weightsOf } from './sessionView.js';

export interface ReconcilerOptions {
  applyTimeoutMs: number;
  /** Failed attempts of one generation before giving up on it (never for a rollback, which retries for ever). */
  applyAttemptsMax: number;
  readBackIntervalMs: number;
  now(): number;
  createAdapter: AdapterFactory;
  metrics?: ReconcilerMetrics;
}

export interface ReconcilerMetrics {
  applyFinished(rolloutId: string, ok: boolean, durationMs: number): void;
  driftDetected(rolloutId: string): void;
  rollbackUnapplied(rolloutId: string, unapplied: boolean): void;
}

interface ReconcileState {
  adapter: TrafficAdapter | undefined;
  inFlight: boolean;
  /** Generation the attempts below count for. */
  attemptGeneration: number;
  attempts: number;
  nextAttemptAt: number;
  lastReadBackAt: number;
  /** Set by drift detection: apply the desired state again although the log says it is applied. */
  reapply: boolean;
  /** Set when the adapter's watch reported a change: read back at the next step instead of at the interval. */
  readBackDue: boolean;
  /**
   * No apply or read-back has succeeded in this process yet. After a restart the traffic layer may have lost what
   * Sluice applied (the `none` adapter keeps it in memory, an in-process router may have restarted too): a first
   * read-back that finds nothing from Sluice there (generation 0) is restored, not reported as drift.
   */
  fresh: boolean;
  /** The re-apply under way restores a state the log already records as applied: it appends no `weight.applied`. */
  restoring: boolean;
  alerting: boolean;
  closed: boolean;
}

/**
 * Drives each rollout's adapter until the weight in force is the desired one: desired weight → `adapter.apply` (async,
 * bounded by applyTimeoutMs) → `weight.applied` on success, `weight.applyFailed` on failure, retried with backoff.
 * Each rollout has at most one adapter call in flight; a slow adapter only delays its own rollout. Periodic read-back
 * detects drift (someone changed the proxy by hand), records it as `weight.applyFailed` (code SLUICE_E_WEIGHT_DRIFT)
 * and re-applies. A rollback is retried until it is applied, and
 * alerts (error log, metric, and the `weight.applyFailed` notification) while it is not.
 */
export class Reconciler {
  readonly #runtime: RolloutRuntime;
  readonly #options: ReconcilerOptions;
  readonly #logger: Logger;
  readonly #states = new Map<string, ReconcileState>();

  constructor(runtime: RolloutRuntime, options: ReconcilerOptions, logger: Logger) {
    this.#runtime = runtime;
    this.#options = options;
    this.#logger = logger;
  }

  /** Steps every rollout (called on every scheduler tick). */
  tick(): void {
    for (const entry of this.#runtime.entries()) this.step(entry);
  }

  /** Steps one rollout now: called right after a `weight.desired` decision, so apply starts without waiting a tick. */
  step(entry: RolloutEntry): void {
    const state = this.#state(entry);
    if (state.inFlight || state.closed) return;
    const now = this.#options.now();
    const weights = weightsOf(entry.session.view);
    const desired: WeightState = { weightPercent: weights.desiredWeightPercent, generation: weights.desiredGeneration };
    if (desired.generation === 0) {
      // Nothing decided yet — or ever, for a rollout aborted before its first weight: then it leaves memory.
      if (entry.session.view.terminal) {
        void this.release(entry.id);
        this.#runtime.release(entry.id);
      }
      return;
    }
    if (state.attemptGeneration !== desired.generation) {
      state.attemptGeneration = desired.generation;
      state.attempts = 0;
      state.nextAttemptAt = 0;
    }
    const applied = weights.appliedGeneration === desired.generation && weights.appliedWeightPercent === desired.weightPercent;
    if (!applied || state.reapply) {
      const givenUp = !weights.rollingBack && state.attempts >= this.#options.applyAttemptsMax;
      if (givenUp || now < state.nextAttemptAt) return;
      void this.#apply(entry, state, desired, weights.rollingBack);
      return;
    }
    if (state.alerting) this.#setAlerting(entry, state, false);
    // A rollout that ended hands the traffic layer back once its final weight is verified: reading back and
    // re-applying after the end would fight the next rollout of the same service on the same proxy.
    if (entry.session.view.terminal) {
      void this.release(entry.id);
      this.#runtime.release(entry.id);
      return;
    }
    if (state.readBackDue || now - state.lastReadBackAt >= this.#options.readBackIntervalMs) void this.#readBack(entry, state, desired);
  }

  /** Closes every adapter (daemon shutdown). */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [rolloutId, state] of this.#states) {
      state.closed = true;
      if (state.adapter) closing.push(state.adapter.close().catch((error) => this.#logger.warn({ rolloutId, err: error }, 'adapter close failed')));
    }
    await Promise.all(closing);
  }

  /** Forgets a rollout that ended and whose final weight is verified (its adapter is closed). */
  async release(rolloutId: string): Promise<void> {
    const state = this.#states.get(rolloutId);
    if (!state || state.inFlight) return;
    this.#states.delete(rolloutId);
    // Called with `void` from step(): a rejection here would be unhandled and stop the daemon (Node's default).
    await state.adapter?.close().catch((error) => this.#logger.warn({ rolloutId, err: error }, 'adapter close failed'));
  }

  #state(entry: RolloutEntry): ReconcileState {
    let state = this.#states.get(entry.id);
    if (!state) {
      state = { adapter: undefined, inFlight: false, attemptGeneration: 0, attempts: 0, nextAttemptAt: 0, lastReadBackAt: 0, reapply: false, readBackDue: false, fresh: true, restoring: false, alerting: false, closed: false };
      this.#states.set(entry.id, state);
    }
    return state;
  }

  #adapter(entry: RolloutEntry, state: ReconcileState): TrafficAdapter {
    if (!state.adapter) {
      state.adapter = this.#options.createAdapter(entry);
      // An adapter that watches its traffic layer (kubernetes) reports changes as they happen: read back now, so a hand
      // edit is seen as drift within a round trip rather than at the next read-back interval.
      state.adapter.watch?.(() => {
        state.readBackDue = true;
        const current = this.#runtime.get(entry.id);
        if (current) this.step(current);
      });
    }
    return state.adapter;
  }

  async #apply(entry: RolloutEntry, state: ReconcileState, desired: WeightState, rollingBack: boolean): Promise<void> {
    state.inFlight = true;
    const started = performance.now();
    try {
      const adapter = this.#adapter(entry, state);
      const result = await withTimeout((signal) => adapter.apply(desired, signal), this.#options.applyTimeoutMs, `apply ${desired.weightPercent}% (generation ${desired.generation})`);
      this.#options.metrics?.applyFinished(entry.id, true, performance.now() - started);
      state.attempts = 0;
      state.reapply = false;
      state.fresh = false;
      if (state.alerting) this.#setAlerting(entry, state, false);
      state.lastReadBackAt = this.#options.now();
      this.#logger.info({ rolloutId: entry.id, weightPercent: result.weightPercent, generation: result.generation }, 'weight applied and verified');
      // Only a restore of what the log already holds goes unrecorded; any other generation is a new verified weight.
      const logged = weightsOf(this.#runtime.get(entry.id)?.session.view ?? entry.session.view);
      const restored = state.restoring && logged.appliedGeneration === desired.generation && logged.appliedWeightPercent === desired.weightPercent;
      state.restoring = false;
      if (!restored) this.#ingest(entry, { type: 'weight.applied', at: this.#options.now(), data: { generation: desired.generation, weightPercent: desired.weightPercent } });
    } catch (error) {
      this.#options.metrics?.applyFinished(entry.id, false, performance.now() - started);
      state.attempts++;
      const delayMs = backoffMs(state.attempts);
      state.nextAttemptAt = this.#options.now() + delayMs;
      // An adapter's message can be long (a proxy's whole config test output); the log keeps the first 4,000 characters.
      const full = String((error as Error | undefined)?.message ?? error);
      const message = full.length > 4_000 ? `${full.slice(0, 4_000)}… (${full.length} characters, cut)` : full;
      const code = (error as { code?: unknown }).code;
      const fields = { rolloutId: entry.id, weightPercent: desired.weightPercent, generation: desired.generation, attempt: state.attempts, retryInMs: delayMs, err: error };
      if (rollingBack) {
        this.#setAlerting(entry, state, true);
        this.#logger.error(fields, 'ROLLBACK NOT APPLIED: the canary still receives traffic; retrying until the adapter applies 0%');
      } else {
        this.#logger.warn(fields, state.attempts >= this.#options.applyAttemptsMax ? 'apply failed; attempts exhausted for this generation' : 'apply failed; will retry');
      }
      const data: { generation: number; weightPercent: number; error: string; code?: string } = { generation: desired.generation, weightPercent: desired.weightPercent, error: message };
      if (typeof code === 'string') data.code = code;
      this.#ingest(entry, { type: 'weight.applyFailed', at: this.#options.now(), data });
    } finally {
      state.inFlight = false;
    }
    this.#followUp(entry, desired.generation);
  }

  /**
   * A weight desired while a call was in flight found the rollout busy (step returned at once); step again now rather
   * than at the next scheduler round, so a rollback decided during a slow apply or read-back waits for nothing else.
   */
  #followUp(entry: RolloutEntry, handledGeneration: number): void {
    const current = this.#runtime.get(entry.id);
    if (current && current.session.view.desiredGeneration !== handledGeneration) this.step(current);
  }

  async #readBack(entry: RolloutEntry, state: ReconcileState, expected: WeightState): Promise<void> {
    state.inFlight = true;
    state.readBackDue = false;
    state.lastReadBackAt = this.#options.now();
    try {
      const adapter = this.#adapter(entry, state);
      const actual = await withTimeout((signal) => adapter.read(signal), this.#options.applyTimeoutMs, 'read back');
      const fresh = state.fresh;
      state.fresh = false;
      if (actual.weightPercent !== expected.weightPercent && fresh && actual.generation === 0) {
        // Every restart used to append a SLUICE_E_WEIGHT_DRIFT per active rollout: the `none` adapter (and a restarted
        // in-process router) starts at 0% with generation 0. Nothing changed the weight by hand; the traffic layer
        // lost it. Apply the logged weight again, quietly: the log already records it as applied.
        state.reapply = true;
        state.restoring = true;
        this.#logger.info(
          { rolloutId: entry.id, expectedWeightPercent: expected.weightPercent, generation: expected.generation },
          'the traffic layer holds no weight from Sluice since the restart; applying the logged weight again',
        );
      } else if (actual.weightPercent !== expected.weightPercent) {
        state.reapply = true;
        this.#options.metrics?.driftDetected(entry.id);
        this.#logger.warn(
          { rolloutId: entry.id, expectedWeightPercent: expected.weightPercent, actualWeightPercent: actual.weightPercent, actualGeneration: actual.generation, generation: expected.generation },
          'drift: the traffic layer serves another weight than the one applied (changed by hand?); re-applying',
        );
        // In the log too (the machine records it and changes nothing), and to the `weight.applyFailed` webhooks: the
        // weight in force was not the verified one until the re-apply that follows appends a new `weight.applied`.
        this.#ingest(entry, {
          type: 'weight.applyFailed',
          at: this.#options.now(),
          data: {
            generation: expected.generation,
            weightPercent: expected.weightPercent,
            error: `drift: read back ${actual.weightPercent}% (generation ${actual.generation}) instead of ${expected.weightPercent}% (generation ${expected.generation}); re-applying`,
            code: 'SLUICE_E_WEIGHT_DRIFT',
          },
        });
      }
    } catch (error) {
      this.#logger.warn({ rolloutId: entry.id, err: error }, 'read-back failed; will try again at the next interval');
    } finally {
      state.inFlight = false;
    }
    if (state.reapply) this.step(entry);
    else this.#followUp(entry, expected.generation);
  }

  #ingest(entry: RolloutEntry, input: Parameters<RolloutRuntime['ingest']>[1]): void {
    if (this.#states.get(entry.id)?.closed) return;
    try {
      this.#runtime.ingest(entry.id, input);
    } catch (error) {
      this.#logger.error({ rolloutId: entry.id, err: error, input: input.type }, 'cannot record the adapter result');
    }
  }

  #setAlerting(entry: RolloutEntry, state: ReconcileState, alerting: boolean): void {
    if (state.alerting === alerting) return;
    state.alerting = alerting;
    this.#options.metrics?.rollbackUnapplied(entry.id, alerting);
    if (!alerting) this.#logger.info({ rolloutId: entry.id }, 'rollback applied after earlier failures; alert cleared');
  }
}

/** Runs an adapter call with an abort signal and a hard deadline, in case the adapter ignores the signal. */
async function withTimeout<T>(call: (signal: AbortSignal) => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = Object.assign(new Error(`adapter ${what} timed out after ${timeoutMs} ms`), { code: 'SLUICE_E_ADAPTER_APPLY' });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
