import { initialTransition, transition, type AnyActorScope, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
import type { NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import { isDecidingStep } from './gateJudging.js';
import { toMachineEvent, type GateEvaluatorLookup, type MachineEvent, type RolloutContext, type RolloutPhase } from './rolloutContext.js';
import { createRolloutMachine, type RolloutMachine } from './rolloutMachine.js';
import { initialVerdictLog, selectAppended, verdictRuleOf, type VerdictLog } from './verdictLog.js';

/**
 * The rollout as an emmett-style decider over the XState machine: `decide(state, input)` folds one input with
 * XState's pure transition (inertTransition below) and returns the next state and the decisions, read from the
 * `record` actions the transition produced, then selected by the log's verdict rule (verdictLog.ts). Nothing here
 * runs an action, reads a clock or performs I/O.
 */
export type RolloutSnapshot = SnapshotFrom<RolloutMachine>;

/** The machine's state between inputs. Treat it as opaque; read it through `rolloutView`. */
export interface RolloutState {
  readonly snapshot: RolloutSnapshot;
  /** Which verdicts the log holds, and the last one appended for each gate of the stage. */
  readonly verdicts: VerdictLog;
}

export interface RolloutDecision {
  state: RolloutState;
  /** The decisions to append for this input, in order: what the rollout's log holds, and what replay compares. */
  decisions: NewDecisionEvent[];
  /**
   * Every decision the machine made for this input, every gate verdict included, in the order made: what a log under
   * the verdict rule `every` holds. Under the rule `new` the log leaves out the verdicts that say nothing new; audit,
   * report and `--at` read them here. Empty for a tick that is not stored (it decided nothing the log keeps).
   */
  computed: readonly NewDecisionEvent[];
}

export interface RolloutDecider {
  initialState(): RolloutState;
  decide(state: RolloutState, input: NewInputEvent): RolloutDecision;
}

export interface RolloutDeciderOptions {
  /** Finds the judge's evaluator for a gate kind. Tests inject their own; the default is the judge's registry. */
  gateEvaluatorFor: GateEvaluatorLookup;
}

const NO_DECISIONS: readonly NewDecisionEvent[] = Object.freeze([]);

export function createRolloutDecider(options: RolloutDeciderOptions): RolloutDecider {
  const machine = createRolloutMachine(options.gateEvaluatorFor);
  const [initialSnapshot] = initialTransition(machine);
  const initial: RolloutState = { snapshot: initialSnapshot, verdicts: initialVerdictLog('new') };
  const fold = inertTransition(machine, initialSnapshot);
  return {
    initialState: () => initial,
    decide(state, input) {
      const computed: NewDecisionEvent[] = [];
      const snapshot = fold(state.snapshot, toMachineEvent(input), (action) => {
        if (action.type === 'record') computed.push(action.params as NewDecisionEvent);
      });
      const log = input.type === 'rollout.created' ? initialVerdictLog(verdictRuleOf(input.data)) : state.verdicts;
      const deciding =
        computed.length > 0 &&
        isDecidingStep({ phase: state.snapshot.value as string, context: state.snapshot.context }, { phase: snapshot.value as string, context: snapshot.context }, computed);
      const selected = selectAppended(log, state.snapshot.context, snapshot.context.spec, computed, deciding, input.at);
      // A tick is stored only when the log keeps something it decided, so replay never sees the others: such a tick
      // must not change the state. The machine changes no context on a tick without a decision (tested); keeping the
      // previous state object here makes that guarantee structural instead of incidental.
      if (input.type === 'tick' && selected.decisions.length === 0) return { state, decisions: selected.decisions, computed: NO_DECISIONS };
      return { state: { snapshot, verdicts: selected.log }, decisions: selected.decisions, computed };
    },
  };
}

type RolloutAction = ExecutableActionsFrom<RolloutMachine>;

/**
 * XState's `transition(machine, snapshot, event)`, with one actor scope for every call. The public `transition` builds
 * a throwaway inert scope on each call — an actor, which computes the machine's initial snapshot, and two actor
 * systems — and that cost a third of replay's time in XState and a fifth of its garbage (issue 12: replay folds 4,320
 * windows for a 6-hour rollout). So the scope is XState's own: the public `transition` is called once, with logic that
 * delegates to the machine and keeps the inert scope it is handed (nothing of it is copied here), and every later fold
 * passes that scope to the machine's `transition` (the ActorLogic method `transition` itself calls), with
 * `actionExecutor` pointed at the call's collector, as `transition` does.
 *
 * What this relies on, beyond XState's public API: that the inert scope keeps no state from one call to the next (its
 * hooks are no-ops, and this machine spawns and invokes nothing, so nothing registers in its system), and that a
 * transition hands every action to `actionExecutor` instead of running it. xstate is pinned to an exact version in
 * package.json, and decider.xstate.test.ts compares this fold with the public `transition` over random rollouts: it
 * fails when either assumption stops holding, before an upgrade lands.
 */
export function inertTransition(machine: RolloutMachine, snapshot: RolloutSnapshot) {
  let scope: AnyActorScope | null = null;
  const keepScope = Object.create(machine, {
    transition: {
      value: (current: RolloutSnapshot, _event: unknown, actorScope: AnyActorScope) => {
        scope = actorScope;
        return current;
      },
    },
  }) as RolloutMachine;
  transition(keepScope, snapshot, { type: 'tick', at: 0, data: {} });
  if (scope === null) throw new Error('assertion: xstate transition() did not hand its actor scope to the logic');
  const inert: AnyActorScope = scope;
  let collect: (action: RolloutAction) => void = () => undefined;
  inert.actionExecutor = (action) => collect(action as RolloutAction);
  return (current: RolloutSnapshot, event: MachineEvent, onAction: (action: RolloutAction) => void): RolloutSnapshot => {
    collect = onAction;
    try {
      return machine.transition(current, event, inert);
    } finally {
      collect = () => undefined;
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
