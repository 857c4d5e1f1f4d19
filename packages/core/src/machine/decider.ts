import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import { isDecidingStep } from './gateJudging.js';
import { toMachineEvent, type GateEvaluatorLookup, type RolloutContext, type RolloutPhase } from './rolloutContext.js';
import { createRolloutMachine, type RolloutMachine } from './rolloutMachine.js';
import { initialVerdictLog, selectAppended, verdictRuleOf, type VerdictLog } from './verdictLog.js';

/**
 * The rollout as an emmett-style decider over the XState machine: `decide(state, input)` folds one input with
 * XState's pure `transition` (its public API: it returns the next snapshot and the actions without running them) and
 * returns the next state and the decisions, read from the `record` actions the transition returned, then selected by
 * the log's verdict rule (verdictLog.ts). Nothing here runs an action, reads a clock or performs I/O.
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
  return {
    initialState: () => initial,
    decide(state, input) {
      const [snapshot, actions] = transition(machine, state.snapshot, toMachineEvent(input));
      const computed: NewDecisionEvent[] = [];
      for (const action of actions) if (action.type === 'record') computed.push(action.params as NewDecisionEvent);
      const log = input.type === 'rollout.created' ? initialVerdictLog(verdictRuleOf(input.data)) : state.verdicts;
      const before = { phase: state.snapshot.value as string, context: state.snapshot.context };
      const after = { phase: snapshot.value as string, context: snapshot.context };
      const deciding = computed.length > 0 && isDecidingStep(before, after, computed);
      const selected = selectAppended(log, before.context, after.context.spec, computed, deciding, input.at);
      // A tick is stored only when the log keeps something it decided, so replay never sees the others: such a tick
      // must not change the state. The machine changes no context on a tick without a decision (tested); keeping the
      // previous state object here makes that guarantee structural instead of incidental.
      if (input.type === 'tick' && selected.decisions.length === 0) return { state, decisions: selected.decisions, computed: NO_DECISIONS };
      return { state: { snapshot, verdicts: selected.log }, decisions: selected.decisions, computed };
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
