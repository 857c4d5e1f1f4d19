import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import { toMachineEvent, type GateEvaluatorLookup, type RolloutContext, type RolloutPhase } from './rolloutContext.js';
import { createRolloutMachine, type RolloutMachine } from './rolloutMachine.js';

/**
 * The rollout as an emmett-style decider over the XState machine: `decide(state, input)` folds one input with
 * XState's pure `transition` and returns the next state and the decisions, read from the `record` actions the
 * transition returned. Nothing here runs an action, reads a clock or performs I/O.
 */
export type RolloutSnapshot = SnapshotFrom<RolloutMachine>;

/** The machine's state between inputs. Treat it as opaque; read it through `rolloutView`. */
export interface RolloutState {
  readonly snapshot: RolloutSnapshot;
}

export interface RolloutDecision {
  state: RolloutState;
  decisions: NewDecisionEvent[];
}

export interface RolloutDecider {
  initialState(): RolloutState;
  decide(state: RolloutState, input: NewInputEvent): RolloutDecision;
}

export interface RolloutDeciderOptions {
  /** Finds the judge's evaluator for a gate kind. Tests inject their own; the default is the judge's registry. */
  gateEvaluatorFor: GateEvaluatorLookup;
}

export function createRolloutDecider(options: RolloutDeciderOptions): RolloutDecider {
  const machine = createRolloutMachine(options.gateEvaluatorFor);
  const [initialSnapshot] = initialTransition(machine);
  const initial: RolloutState = { snapshot: initialSnapshot };
  return {
    initialState: () => initial,
    decide(state, input) {
      const [snapshot, actions] = transition(machine, state.snapshot, toMachineEvent(input));
      const decisions: NewDecisionEvent[] = [];
      for (const action of actions) {
        if (action.type === 'record') decisions.push(action.params as NewDecisionEvent);
      }
      // A tick is stored only when it decided something, so replay never sees the others: such a tick must not
      // change the state. The machine changes no context on a tick without a decision (tested); keeping the
      // previous state object here makes that guarantee structural instead of incidental.
      if (input.type === 'tick' && decisions.length === 0) return { state, decisions };
      return { state: { snapshot }, decisions };
    },
  };
}

export function phaseOf(state: RolloutState): RolloutPhase {
  return state.snapshot.value as RolloutPhase;
}

export function contextOf(state: RolloutState): RolloutContext {
  return state.snapshot.context;
}

export function isTerminal(state: RolloutState): boolean {
  return state.snapshot.hasTag('terminal');
}
