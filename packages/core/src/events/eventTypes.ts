import type { RolloutSpec } from '../spec/specSchema.js';
import type { SampleWindowData } from '../window.js';

/**
 * The event catalogue. Inputs are what Sluice observed; decisions are what the machine concluded from them.
 * Replay feeds inputs and compares decisions. Every type has a schema version (EVENT_VERSIONS); a change to a type's
 * data shape bumps it, and readers upgrade old versions (events/upgrade.ts) so an old log stays readable.
 */

// ---- Inputs -------------------------------------------------------------------------------------------------------

export interface RolloutCreatedData {
  spec: RolloutSpec;
  /**
   * Which gate verdicts this rollout's log holds (machine/verdictLog.ts, docs/log.md): `new` (absent means `new`), the
   * verdicts that say something new; `every`, every verdict computed — what logs written before version 2 hold (the
   * upgrader of version 1 says so).
   */
  verdicts?: 'every' | 'new';
}
export type SamplesWindowData = SampleWindowData;
export interface HealthCheckedData {
  ok: boolean;
  /** What was probed, e.g. the URL. */
  target?: string;
  /** Status code or error text, for the audit trail. */
  detail?: string;
}
export interface MetricObservedData {
  name: string;
  variant: 'baseline' | 'canary';
  value: number;
}
export const OPERATOR_COMMANDS = ['promote', 'promoteFull', 'pause', 'resume', 'abort', 'rollback', 'approve'] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];
export interface CommandIssuedData {
  command: OperatorCommand;
  /** Who issued it (token name, CLI user, "webhook:<url>" for approvals). */
  actor?: string;
  reason?: string;
}
export interface WeightAppliedData {
  generation: number;
  weightPercent: number;
}
export interface WeightApplyFailedData {
  generation: number;
  weightPercent: number;
  error: string;
  code?: string;
}
/** A clock tick from the daemon or simulator. Stored only when it caused a decision (so the log grows with decisions). */
export type TickData = Record<string, never>;

/**
 * The pre-flight plan the daemon ran when the rollout was created (docs/plan.md): what the expected traffic can prove,
 * stage by stage, and the warnings. An observation, not a decision: the machine ignores it, replay does not recompute it.
 */
export type RolloutPlannedData = import('../plan/planSummary.js').PlanSummary;

export interface InputDataByType {
  'rollout.created': RolloutCreatedData;
  'rollout.planned': RolloutPlannedData;
  'samples.window': SamplesWindowData;
  'health.checked': HealthCheckedData;
  'metric.observed': MetricObservedData;
  'command.issued': CommandIssuedData;
  'weight.applied': WeightAppliedData;
  'weight.applyFailed': WeightApplyFailedData;
  tick: TickData;
}

// ---- Decisions ----------------------------------------------------------------------------------------------------

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** The numbers a verdict was made from. Judges put what they computed here; every number has a named field. */
export type Evidence = Record<string, unknown> & {
  /** One sentence a person can read: "canary error rate 4.1% > 1% for 1 window (n=412)". */
  summary: string;
};

export interface GateEvaluatedData {
  stage: string;
  gate: string;
  kind: string;
  verdict: Verdict;
  evidence: Evidence;
}
export interface StageEnteredData {
  index: number;
  stage: string;
  weightPercent: number;
}
export interface WeightDesiredData {
  weightPercent: number;
  /** Increments on every desired-weight change; adapters apply generations in order and report which one is in force. */
  generation: number;
  reason: string;
}
export type RollbackReason = 'gate' | 'operator' | 'maxDuration' | 'health';
export interface RollbackStartedData {
  reason: RollbackReason;
  /** Stage the rollback started from. */
  stage: string;
  /** The gate that failed, when a gate caused it. */
  gate?: string;
  evidence: Evidence;
}
export interface RollbackCompletedData {
  weightPercent: 0;
}
export interface PausedData {
  reason: string;
}
export type ResumedData = Record<string, never>;
export interface StageHeldData {
  stage: string;
  gate?: string;
  evidence: Evidence;
}
export interface StageExtendedData {
  stage: string;
  extension: number;
  durationMax: number;
}
export interface StageWaitingApprovalData {
  stage: string;
  webhook?: string;
}
export interface CompletedData {
  weightPercent: 100;
}
export interface AbortedData {
  reason: string;
}
export interface CommandRejectedData {
  command: OperatorCommand;
  state: string;
  reason: string;
}

export interface DecisionDataByType {
  'gate.evaluated': GateEvaluatedData;
  'stage.entered': StageEnteredData;
  'stage.extended': StageExtendedData;
  'stage.held': StageHeldData;
  'stage.awaitingApproval': StageWaitingApprovalData;
  'weight.desired': WeightDesiredData;
  'rollback.started': RollbackStartedData;
  'rollback.completed': RollbackCompletedData;
  paused: PausedData;
  resumed: ResumedData;
  completed: CompletedData;
  aborted: AbortedData;
  'command.rejected': CommandRejectedData;
}

export type InputType = keyof InputDataByType;
export type DecisionType = keyof DecisionDataByType;
export type EventType = InputType | DecisionType;
export type EventDataByType = InputDataByType & DecisionDataByType;

export const INPUT_TYPES: readonly InputType[] = [
  'rollout.created',
  'rollout.planned',
  'samples.window',
  'health.checked',
  'metric.observed',
  'command.issued',
  'weight.applied',
  'weight.applyFailed',
  'tick',
];
export const DECISION_TYPES: readonly DecisionType[] = [
  'gate.evaluated',
  'stage.entered',
  'stage.extended',
  'stage.held',
  'stage.awaitingApproval',
  'weight.desired',
  'rollback.started',
  'rollback.completed',
  'paused',
  'resumed',
  'completed',
  'aborted',
  'command.rejected',
];

/**
 * Current schema version of every event type (1 unless listed). What changed, and how older versions are read
 * (events/upgrade.ts; docs/log.md):
 * - `samples.window` 2: histograms are written in the plain V2 encoding, without the deflate layer of version 1.
 *   The data's shape is the same, and the codec reads both encodings, so a version 1 window is a valid version 2 one.
 * - `rollout.created` 2: the log holds only the gate verdicts that say something new (`verdicts: 'new'`); version 1
 *   logs hold every verdict, and are read as `verdicts: 'every'`.
 */
export const EVENT_VERSIONS: Record<EventType, number> = {
  ...(Object.fromEntries([...INPUT_TYPES, ...DECISION_TYPES].map((t) => [t, 1])) as Record<EventType, number>),
  'samples.window': 2,
  'rollout.created': 2,
};

export function isInputType(type: string): type is InputType {
  return (INPUT_TYPES as readonly string[]).includes(type);
}
export function isDecisionType(type: string): type is DecisionType {
  return (DECISION_TYPES as readonly string[]).includes(type);
}

/** An event before it is appended: what producers and the machine create. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  /** ms since epoch, from the producer's clock (core never reads a clock). */
  at: number;
  data: EventDataByType[T];
}
export type NewInputEvent = { [T in InputType]: NewEvent<T> }[InputType];
export type NewDecisionEvent = { [T in DecisionType]: NewEvent<T> }[DecisionType];

/** An event as stored in the log. */
export type StoredEvent<T extends EventType = EventType> = NewEvent<T> & {
  /** Global sequence number across all rollouts (SQLite rowid). */
  seq: number;
  rolloutId: string;
  /** 0-based position within the rollout. */
  position: number;
  /** Schema version of this type when it was written. */
  version: number;
  /** Hex SHA-256 over the previous hash and this event's canonical content. */
  hash: string;
};
export type AnyStoredEvent = { [T in EventType]: StoredEvent<T> }[EventType];
/**
 * A stored event without the log's bookkeeping (sequence number, hash): what `EventLog.readRecorded` yields for
 * readers that only fold and compare content — replay and rebuilding a rollout.
 */
export type RecordedEvent = { [T in EventType]: NewEvent<T> & { position: number; version: number } }[EventType];
