import { deepStrictEqual } from 'node:assert/strict';
import type { DecisionType, NewDecisionEvent, NewInputEvent } from '../../events/eventTypes.js';
import type { RolloutDecider, RolloutState } from '../decider.js';
import { rolloutView, type RolloutView } from '../rolloutView.js';

/**
 * Given/when/then over events for the rollout decider, after emmett's DeciderSpecification: given the inputs so far,
 * when one more input arrives, then these decisions come out (and the state looks like this). Framework-free (it
 * throws node:assert errors), so it works under any test runner.
 */
export interface ThenClause {
  /** The decisions, exactly and in order. */
  then(expected: readonly NewDecisionEvent[]): ThenClause;
  /** Only the decision types, in order. */
  thenTypes(expected: readonly DecisionType[]): ThenClause;
  /** Checks the view after the input. */
  thenView(check: (view: RolloutView) => void): ThenClause;
  readonly decisions: readonly NewDecisionEvent[];
  readonly before: RolloutState;
  readonly after: RolloutState;
}

export function deciderSpecification(decider: RolloutDecider) {
  return {
    given(inputs: readonly NewInputEvent[]) {
      let state = decider.initialState();
      for (const input of inputs) state = decider.decide(state, input).state;
      const before = state;
      return {
        when(input: NewInputEvent): ThenClause {
          const result = decider.decide(before, input);
          const clause: ThenClause = {
            decisions: result.decisions,
            before,
            after: result.state,
            then(expected) {
              deepStrictEqual(result.decisions, expected);
              return clause;
            },
            thenTypes(expected) {
              deepStrictEqual(result.decisions.map((d) => d.type), expected);
              return clause;
            },
            thenView(check) {
              check(rolloutView(result.state));
              return clause;
            },
          };
          return clause;
        },
      };
    },
  };
}
