import type { NewDecisionEvent } from '../events/eventTypes.js';
import type { RolloutView } from '../machine/rolloutView.js';

/** What `sluice simulate --json` prints (docs/simulate.md). Times are ms from the start of the simulation. */
export type SimulationOutcome = 'completed' | 'rolled_back' | 'aborted' | 'held' | 'timed_out';

export interface SimulationResult {
  outcome: SimulationOutcome;
  rollbackStartedAtMs: number | null;
  /** When the rollout reached a terminal state, or the model's duration when it did not. */
  endedAtMs: number;
  stages: Array<{ name: string; enteredAtMs: number; exitedAtMs: number | null }>;
  /**
   * Decisions in order, with their evidence and `atMs`. A `gate.evaluated` is kept when its gate's verdict changed
   * (every window re-evaluates every gate; unchanged verdicts would only repeat themselves).
   */
  decisions: Array<NewDecisionEvent & { atMs: number }>;
  /** All decisions made, including the unchanged gate verdicts left out of `decisions`. */
  decisionCount: number;
}

export function summarizeSimulation(all: readonly NewDecisionEvent[], view: RolloutView, epochMs: number, durationMs: number): SimulationResult {
  const decisions: SimulationResult['decisions'] = [];
  const lastVerdict = new Map<string, string>();
  const stages: SimulationResult['stages'] = [];
  let rollbackStartedAtMs: number | null = null;
  for (const decision of all) {
    const atMs = decision.at - epochMs;
    if (decision.type === 'gate.evaluated') {
      const key = `${decision.data.stage}/${decision.data.gate}`;
      if (lastVerdict.get(key) === decision.data.verdict) continue;
      lastVerdict.set(key, decision.data.verdict);
    }
    if (decision.type === 'stage.entered') {
      const open = stages.at(-1);
      if (open && open.exitedAtMs === null) open.exitedAtMs = atMs;
      stages.push({ name: decision.data.stage, enteredAtMs: atMs, exitedAtMs: null });
    }
    if (decision.type === 'rollback.started' && rollbackStartedAtMs === null) rollbackStartedAtMs = atMs;
    decisions.push({ ...decision, atMs });
  }
  const endedAtMs = view.endedAt !== null ? view.endedAt - epochMs : durationMs;
  const open = stages.at(-1);
  if (open && open.exitedAtMs === null && (view.terminal || rollbackStartedAtMs !== null)) open.exitedAtMs = rollbackStartedAtMs ?? endedAtMs;
  return { outcome: outcomeOf(view, rollbackStartedAtMs), rollbackStartedAtMs, endedAtMs, stages, decisions, decisionCount: all.length };
}

function outcomeOf(view: RolloutView, rollbackStartedAtMs: number | null): SimulationOutcome {
  if (view.outcome === 'completed') return 'completed';
  if (view.outcome === 'rolledBack' || rollbackStartedAtMs !== null) return 'rolled_back';
  if (view.outcome === 'aborted') return 'aborted';
  if (view.phase === 'holding') return 'held';
  return 'timed_out';
}
