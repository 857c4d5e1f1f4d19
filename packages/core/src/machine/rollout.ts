import type { NewInputEvent } from '../events/eventTypes.js';
import { gateEvaluatorFor } from '../judge/registry.js';
import { createRolloutDecider, type RolloutDecision, type RolloutDecider, type RolloutState } from './decider.js';

/**
 * The rollout decider with the judge's evaluators: what the daemon, the simulator and replay use unless a test
 * injects its own evaluators through `createRolloutDecider`.
 */
export const rolloutDecider: RolloutDecider = createRolloutDecider({ gateEvaluatorFor });

/** The state before `rollout.created` (phase `pending`). */
export function initialRolloutState(): RolloutState {
  return rolloutDecider.initialState();
}

/** Folds one input: the next state and the decisions it caused, each carrying the input's `at`. Never throws on a command. */
export function decide(state: RolloutState, input: NewInputEvent): RolloutDecision {
  return rolloutDecider.decide(state, input);
}
