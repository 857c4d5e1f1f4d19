import type { Evidence, NewInputEvent, Verdict } from '../events/eventTypes.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';

/**
 * The gate interface the machine uses. A gate is pure: it folds the inputs that concern it into its own state and
 * returns a verdict with evidence. Gate state starts fresh on every stage entry (each stage is its own test, so the
 * canary's changing traffic share never mixes evidence from different weights).
 */
export interface GateContext {
  stage: StageSpec;
  stageIndex: number;
  /** When the current stage was entered, ms since epoch. */
  stageEnteredAt: number;
  /** Weight verified as applied by the adapter, or null when nothing has been verified yet in this stage. */
  weightAppliedPercent: number | null;
  /** When the weight in force was verified as applied; windows that started earlier mix two weights. */
  weightAppliedAt: number | null;
  /** Window length of the rollout, ms. */
  windowMs: number;
  /**
   * Time the stage has run at the input being judged (from the verified weight, paused time excluded), or null before
   * the weight is verified or at stage entry. Gates that may pass once the stage's minimum duration is reached
   * (`passRule: noHarm`) read it.
   */
  stageElapsedMs: number | null;
}

export interface GateResult {
  verdict: Verdict;
  evidence: Evidence;
}

/**
 * Gates that read a window's latency histogram get it from `windowHistogram(event.data.canary)` (windowStats.ts): it is
 * decoded once per event, into its non-zero buckets, and shared by every gate that observes the event; blocks of
 * windows are kept merged in the gate state (histogramBlock.ts), never as a list of encodings to merge again.
 */
export interface GateEvaluator<State = unknown> {
  readonly kind: GateConfig['kind'];
  /** Fresh state at stage entry. */
  init(config: GateConfig, context: GateContext): State;
  /**
   * Folds one input event. Returns null when the event does not concern this gate (its verdict is unchanged and no
   * gate.evaluated decision is recorded); otherwise the new state and the verdict after this event.
   */
  observe(config: GateConfig, state: State, event: NewInputEvent, context: GateContext): { state: State; result: GateResult } | null;
}
