import type { RolloutEnd, RolloutSpec, RolloutView } from '@sluice/core';
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
  return { ...specJson(spec, nextPosition), state: view };
}

/**
 * An ended rollout in a list (GET /v1/rollouts), from its spec and its end alone — it is not folded to be listed.
 * `summary: true` says so: the state holds how and when it ended, and the weight that the end implies (a completed
 * rollout ends once 100% is verified, a rolled-back one once 0% is; an abort desires 0% at once, verified later).
 */
export function endedRolloutJson(spec: RolloutSpec, end: RolloutEnd, nextPosition: number): Record<string, unknown> {
  const finalWeightPercent = end.phase === 'completed' ? 100 : 0;
  return {
    ...specJson(spec, nextPosition),
    summary: true,
    state: {
      rolloutId: spec.id,
      phase: end.phase,
      stageIndex: null,
      stageName: null,
      desiredWeightPercent: finalWeightPercent,
      appliedWeightPercent: end.phase === 'aborted' ? null : finalWeightPercent,
      terminal: true,
      outcome: end.phase,
      endedAt: end.at,
    },
  };
}

function specJson(spec: RolloutSpec, nextPosition: number): Record<string, unknown> {
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
  };
}
