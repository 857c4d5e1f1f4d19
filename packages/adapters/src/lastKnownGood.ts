import type { WeightState } from '@sluice/core';

/**
 * Last-known-good bookkeeping shared by adapters: the last state verified as serving, with the adapter-specific
 * payload needed to return to it (the nginx include file's text, for instance). Only `apply` paths that verified the
 * traffic layer call `record`, so `current` is never a state that was merely written.
 */
export class LastKnownGood<Payload> {
  #state: WeightState | undefined;
  #payload: Payload | undefined;

  record(state: WeightState, payload: Payload): void {
    this.#state = { weightPercent: state.weightPercent, generation: state.generation };
    this.#payload = payload;
  }

  /** Seeds the payload without a verified state (what was found on disk at start). */
  seed(payload: Payload): void {
    if (this.#payload === undefined) this.#payload = payload;
  }

  get state(): WeightState | undefined {
    return this.#state ? { ...this.#state } : undefined;
  }

  get payload(): Payload | undefined {
    return this.#payload;
  }

  /** Whether `desired` is exactly what was last verified. */
  isInForce(desired: WeightState): boolean {
    return this.#state !== undefined && this.#state.weightPercent === desired.weightPercent && this.#state.generation === desired.generation;
  }
}
