/**
 * The adapter contract (DESIGN "Adapters"). Adapters live in @sluice/adapters; the daemon's reconciler drives them.
 * Rules for every adapter:
 * - idempotent: applying the weight and generation in force does nothing;
 * - never report a weight as applied until it has been verified as serving;
 * - keep the last known good configuration and return to it when applying fails;
 * - bounded retries with backoff inside `apply`, then a typed error (SLUICE_E_ADAPTER_APPLY) naming what failed;
 * - weights are percentages with two decimals (0–100).
 */
export interface WeightState {
  /** Canary share in force, percent with two decimals. */
  weightPercent: number;
  /** Generation of the configuration in force; 0 when the adapter has never applied one. */
  generation: number;
}

export interface AdapterHealth {
  ok: boolean;
  /** Why not, in a sentence naming the component ("nginx -t failed: …", "no nginx master process at pid 1234"). */
  detail?: string;
}

export interface TrafficAdapter {
  /** The adapter type as written in specs (`nginx`, `inprocess`, …). */
  readonly type: string;
  /**
   * Applies `weightPercent` as generation `generation` and resolves once the traffic layer is verified to serve it.
   * Rejects with a SluiceError (code SLUICE_E_ADAPTER_APPLY) after restoring the last known good configuration.
   */
  apply(desired: WeightState, signal?: AbortSignal): Promise<WeightState>;
  /** Reads back what is actually in force (drift detection compares this with the desired state). */
  read(signal?: AbortSignal): Promise<WeightState>;
  health(signal?: AbortSignal): Promise<AdapterHealth>;
  /**
   * Optional: reports what is in force whenever the traffic layer says it changed (a Kubernetes watch), so drift made
   * by hand is seen at once rather than at the next periodic read-back. Returns the unsubscribe function.
   */
  watch?(listener: (state: WeightState) => void): () => void;
  /** Releases files, timers and connections. */
  close(): Promise<void>;
}

/** Rounds a weight to the two decimals adapters work in. */
export function roundWeightPercent(weightPercent: number): number {
  return Math.round(Math.min(100, Math.max(0, weightPercent)) * 100) / 100;
}
