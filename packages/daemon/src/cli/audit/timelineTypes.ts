import type { Evidence, Verdict } from '@sluice/core';

/**
 * The audit of one rollout, built by a pure fold over its stored events (`sluice audit --db FILE ID`). It reports what
 * was *recorded* — the decisions in the log, not what today's machine would decide (that is `sluice replay`) — except
 * the gates' verdict counts of a log that holds only the verdicts that say something new, which are recomputed from
 * its inputs (`verdictsRecomputed`). Every
 * time is a UTC ISO 8601 string, every duration a number of ms; this object is also the `--json` output (docs/cli.md).
 */
export interface AuditTimeline {
  rolloutId: string;
  service: string;
  baseline: string;
  candidate: string;
  createdAt: string;
  lastEventAt: string;
  events: number;
  /** How it ended; `unfinished` while the log holds no terminal decision. */
  outcome: AuditOutcome;
  /** When the terminal decision was recorded (rollback.completed, completed, aborted); null while unfinished. */
  endedAt: string | null;
  /** The phase the recorded decisions left it in (`progressing`, `paused`, `holding`, `rollingBack`, …). */
  phase: string;
  /** The stage it was in last. */
  stage: string | null;
  /** One line: why it ended (or where it stands). */
  reason: string;
  plan: StagePlan[];
  rollbackMode: string;
  /** Chronological, condensed: inputs and decisions a person acts on, not every window or unchanged verdict. */
  entries: TimelineEntry[];
  /** Entries left out past TIMELINE_ENTRIES_MAX. */
  entriesOmitted: number;
  /** Every gate's verdicts per stage, condensed. */
  gates: GateHistory[];
  /**
   * Whether `gates` counts every verdict recomputed from the log's inputs (a log under the verdict rule `new`, which
   * holds only the verdicts that say something new, audited by `sluice audit ID`) or the verdicts the log holds.
   */
  verdictsRecomputed: boolean;
  ending: AuditEnding | null;
}

export type AuditOutcome = 'completed' | 'rolledBack' | 'aborted' | 'unfinished';

export interface StagePlan {
  index: number;
  name: string;
  weightPercent: number;
  durationMinMs: number;
  durationMaxMs: number;
  onFail: string;
  approval: string | null;
  gates: string[];
}

export interface TimelineEntry {
  at: string;
  position: number;
  kind: EntryKind;
  text: string;
  /** The evidence of a gate verdict, rollback or hold. */
  evidence?: Evidence;
  /** Repeated attempts folded into this entry (failed applies of one generation). */
  count?: number;
}

export type EntryKind =
  | 'created'
  | 'stageEntered'
  | 'weightDesired'
  | 'weightVerified'
  | 'weightApplyFailed'
  | 'command'
  | 'commandRejected'
  | 'paused'
  | 'resumed'
  | 'held'
  | 'extended'
  | 'awaitingApproval'
  | 'gateVerdict'
  | 'rollbackStarted'
  | 'rollbackCompleted'
  | 'completed'
  | 'aborted';

export interface GateHistory {
  stage: string;
  gate: string;
  kind: string;
  evaluations: number;
  verdicts: Record<Verdict, number>;
  firstAt: string;
  lastAt: string;
  firstPassAt: string | null;
  firstFailAt: string | null;
  lastVerdict: Verdict;
  lastSummary: string;
}

/** The decisive end: a rollback (done or in progress), completion, abort, or a hold waiting for an operator. */
export interface AuditEnding {
  outcome: 'rolledBack' | 'rollingBack' | 'completed' | 'aborted' | 'held';
  /** The decisive decision: rollback.started, completed, aborted or stage.held. */
  at: string;
  stage: string;
  /** Rollback reason (`gate`, `health`, `operator`, `maxDuration`), or the abort's reason. */
  reason: string | null;
  gate: string | null;
  /** Who commanded it, for an operator rollback or abort. */
  actor: string | null;
  summary: string | null;
  evidence: Evidence | null;
  /** The first failing verdict of the deciding gate in that stage. */
  firstFailAt: string | null;
  /** The final weight (0, or 100 when completed) and when the adapter verified it. */
  finalWeightPercent: number;
  finalWeightVerifiedAt: string | null;
  firstFailToVerifiedMs: number | null;
  /** null when the final weight was in force before the decision (a last stage at 100% that passed). */
  decisionToVerifiedMs: number | null;
}
