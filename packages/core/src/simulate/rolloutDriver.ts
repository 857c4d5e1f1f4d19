import type { NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import { decide, initialRolloutState } from '../machine/rollout.js';
import { rolloutView, type RolloutView } from '../machine/rolloutView.js';
import type { RolloutLog } from '../rollout/RolloutSession.js';
import { RolloutSession } from '../rollout/RolloutSession.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import type { RolloutState } from '../machine/decider.js';

/**
 * What the simulator drives: the pure decider in memory, or a RolloutSession over an event log (`--db`), so that the
 * simulated rollout can be replayed and verified afterwards. Both return the decisions each input caused.
 */
export interface RolloutDriver {
  ingest(input: NewInputEvent): NewDecisionEvent[];
  view(): RolloutView;
  /** Decisions of `rollout.created` (stage entry, first desired weight). */
  readonly initialDecisions: NewDecisionEvent[];
}

export function inMemoryDriver(spec: RolloutSpec, at: number): RolloutDriver {
  const created = decide(initialRolloutState(), { type: 'rollout.created', at, data: { spec } });
  let state: RolloutState = created.state;
  return {
    initialDecisions: created.decisions,
    ingest(input) {
      const decision = decide(state, input);
      state = decision.state;
      return decision.decisions;
    },
    view: () => rolloutView(state),
  };
}

export function sessionDriver(log: RolloutLog, spec: RolloutSpec, at: number): RolloutDriver {
  const session = RolloutSession.create(log, spec, at);
  const initialDecisions: NewDecisionEvent[] = [];
  for (const event of log.read(spec.id, 1)) initialDecisions.push(toDecision(event));
  return {
    initialDecisions,
    ingest: (input) => session.ingest(input).map(toDecision),
    view: () => session.view,
  };
}

function toDecision(event: { type: string; at: number; data: unknown }): NewDecisionEvent {
  return { type: event.type, at: event.at, data: event.data } as NewDecisionEvent;
}
