import { createActor, initialTransition, type AnyActorScope, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
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
  const fold = reusableTransition(machine);
  return {
    initialState: () => initial,
    decide(state, input) {
      const decisions: NewDecisionEvent[] = [];
      const snapshot = fold(state.snapshot, toMachineEvent(input), (action) => {
        if (action.type === 'record') decisions.push(action.params as NewDecisionEvent);
      });
      // A tick is stored only when it decided something, so replay never sees the others: such a tick must not
      // change the state. The machine changes no context on a tick without a decision (tested); keeping the
      // previous state object here makes that guarantee structural instead of incidental.
      if (input.type === 'tick' && decisions.length === 0) return { state, decisions };
      return { state: { snapshot }, decisions };
    },
  };
}

type RolloutAction = ExecutableActionsFrom<RolloutMachine>;

/**
 * XState's `transition(machine, snapshot, event)` with one actor scope for every call instead of a new one per call.
 * `transition` builds a throwaway inert scope each time — `createActor`, which computes the machine's initial snapshot,
 * and two actor systems — and that set-up cost more than the transition itself (replay folds ~70,000 inputs a second).
 * The scope here is the same inert scope (every hook a no-op, actions handed to `actionExecutor` instead of run);
 * the machine spawns and invokes nothing, so nothing registers in its system and one scope can serve every call.
 * Decisions are collected by the `onAction` of the call in progress; folding is synchronous and never re-entered.
 */
function reusableTransition(machine: RolloutMachine) {
  let onAction: (action: RolloutAction) => void = () => undefined;
  const self = createActor(machine);
  const scope = {
    self,
    defer: () => undefined,
    id: '',
    logger: () => undefined,
    sessionId: '',
    stopChild: () => undefined,
    system: self.system,
    emit: () => undefined,
    actionExecutor: (action: RolloutAction) => onAction(action),
  } as unknown as AnyActorScope;
  return (snapshot: RolloutSnapshot, event: Parameters<RolloutMachine['transition']>[1], collect: (action: RolloutAction) => void): RolloutSnapshot => {
    onAction = collect;
    try {
      return machine.transition(snapshot, event, scope as never);
    } finally {
      onAction = () => undefined;
    }
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
