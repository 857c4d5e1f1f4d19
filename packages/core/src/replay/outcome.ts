import { formatDurationMs } from '../duration.js';
import type { NewDecisionEvent, RollbackReason } from '../events/eventTypes.js';

/**
 * What a sequence of decisions amounted to, and how two such outcomes differ ("would have rolled back at 14:02:10,
 * 6m earlier"). Used by replay for what-ifs; the decisive decision is the last of rollback.started, completed,
 * aborted and stage.held (a hold that an operator later resolved is superseded by what followed).
 */
export type OutcomeKind = 'completed' | 'rolledBack' | 'aborted' | 'held' | 'undecided';

export interface OutcomeSummary {
  outcome: OutcomeKind;
  /** When the decisive decision was made (rollback.started, not its completion), or null when undecided. */
  at: number | null;
  /** Stage the rollout was in at that moment. */
  stage: string | null;
  /** For a rollback: why, and the gate when a gate caused it. */
  reason?: RollbackReason;
  gate?: string;
}

export interface OutcomeComparison {
  recorded: OutcomeSummary;
  recomputed: OutcomeSummary;
  sameOutcome: boolean;
  /** recomputed.at − recorded.at for the same outcome (negative: earlier), else null. */
  deltaMs: number | null;
  /** One sentence: "would have rolled back at 2026-01-15 14:02:10 UTC (gate errorRate in stage canary), 6m earlier". */
  sentence: string;
}

/** The decision types summarizeOutcome reads; the others (gate verdicts, weights) never change an outcome. */
const OUTCOME_DECISION_TYPES: ReadonlySet<string> = new Set(['stage.entered', 'rollback.started', 'completed', 'aborted', 'stage.held']);

export function isOutcomeDecision(decision: NewDecisionEvent): boolean {
  return OUTCOME_DECISION_TYPES.has(decision.type);
}

export function summarizeOutcome(decisions: Iterable<NewDecisionEvent>): OutcomeSummary {
  let stage: string | null = null;
  let summary: OutcomeSummary = { outcome: 'undecided', at: null, stage: null };
  for (const decision of decisions) {
    switch (decision.type) {
      case 'stage.entered':
        stage = decision.data.stage;
        break;
      case 'rollback.started': {
        const { reason, gate } = decision.data;
        summary = { outcome: 'rolledBack', at: decision.at, stage: decision.data.stage, reason, ...(gate === undefined ? {} : { gate }) };
        break;
      }
      case 'completed':
        summary = { outcome: 'completed', at: decision.at, stage };
        break;
      case 'aborted':
        summary = { outcome: 'aborted', at: decision.at, stage };
        break;
      case 'stage.held':
        summary = { outcome: 'held', at: decision.at, stage: decision.data.stage, ...(decision.data.gate === undefined ? {} : { gate: decision.data.gate }) };
        break;
      default:
        break;
    }
  }
  return summary;
}

const VERB: Record<OutcomeKind, string> = {
  completed: 'completed',
  rolledBack: 'rolled back',
  aborted: 'been aborted',
  held: 'held for an operator',
  undecided: 'not decided',
};
const PAST: Record<OutcomeKind, string> = {
  completed: 'completed',
  rolledBack: 'rolled back',
  aborted: 'was aborted',
  held: 'held for an operator',
  undecided: 'was undecided',
};

export function compareOutcomes(recorded: OutcomeSummary, recomputed: OutcomeSummary, recordEndAt: number | null): OutcomeComparison {
  const sameOutcome = recorded.outcome === recomputed.outcome;
  const deltaMs = sameOutcome && recorded.at !== null && recomputed.at !== null ? recomputed.at - recorded.at : null;
  let sentence: string;
  if (recomputed.outcome === 'undecided') {
    const end = recordEndAt === null ? '' : ` (last input at ${formatTime(recordEndAt)})`;
    sentence = `would not have decided before the recorded inputs ended${end}; the recorded run ${describe(recorded, PAST)}`;
  } else if (sameOutcome && deltaMs !== null) {
    const when = deltaMs === 0 ? 'at the same time as recorded' : `${formatDurationMs(Math.abs(deltaMs))} ${deltaMs < 0 ? 'earlier' : 'later'}`;
    sentence = `would have ${describe(recomputed, VERB)}, ${when}`;
  } else {
    sentence = `would have ${describe(recomputed, VERB)}; the recorded run ${describe(recorded, PAST)}`;
  }
  return { recorded, recomputed, sameOutcome, deltaMs, sentence };
}

function describe(summary: OutcomeSummary, verbs: Record<OutcomeKind, string>): string {
  if (summary.outcome === 'undecided' || summary.at === null) return verbs.undecided;
  const cause =
    summary.outcome === 'rolledBack' || summary.outcome === 'held'
      ? ` (${summary.gate ? `gate ${summary.gate}` : (summary.reason ?? 'operator')}${summary.stage ? ` in stage ${summary.stage}` : ''})`
      : summary.stage
        ? ` (in stage ${summary.stage})`
        : '';
  return `${verbs[summary.outcome]} at ${formatTime(summary.at)}${cause}`;
}

/** "2026-01-15 14:02:10 UTC": always with the date, since rollouts can span days. */
export function formatTime(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
