import type { RolloutSpec, RolloutView } from '@sluice/core';
import type { RolloutEntry } from './RolloutRuntime.js';

/**
 * The JSON shape of a rollout in the HTTP API (GET /v1/rollouts/:id, list items, command answers): what it is (from
 * the spec) and where it is (the session's view: phase, stage, desired and verified weight, last verdict of every gate
 * with its evidence). docs/api.md documents it.
 */
export function rolloutJson(entry: RolloutEntry): Record<string, unknown> {
  return rolloutJsonOf(entry.spec, entry.session.view, entry.session.nextPosition);
}

/** The same shape from a spec and a view (`sluice status --db` and `sluice audit --at` fold the log themselves). */
export function rolloutJsonOf(spec: RolloutSpec, rolloutView: RolloutView, nextPosition: number): Record<string, unknown> {
  // The spec is summarised above; the state is the view without it.
  const { spec: _spec, ...view } = rolloutView;
  return {
    id: spec.id,
    service: spec.service,
    baseline: spec.baseline,
    candidate: spec.candidate,
    adapter: spec.adapter.type,
    windowMs: spec.window,
    /** Events in the rollout's log: the position to stream from for what comes next. */
    nextPosition,
    stages: spec.stages.map((s) => ({ name: s.name, weightPercent: s.weightPercent, durationMinMs: s.durationMin, durationMaxMs: s.durationMax, onFail: s.onFail })),
    state: view,
  };
}
