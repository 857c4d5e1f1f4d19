import type { Evidence, OutcomeComparison } from '@sluice/core';
import type { AuditEnding, AuditOutcome, EntryKind } from '../cli/audit/timelineTypes.js';

/**
 * The data a report is drawn from: built from the log alone (reportData.ts), embedded as JSON in the self-contained
 * HTML of `sluice report`, and served to the dashboard at GET /v1/rollouts/:id/report. Times are ms since epoch; series
 * are columns (one array per quantity, one entry per window or evaluation) so that a 6-hour rollout stays small.
 * `format` changes when a field changes meaning; the page's script refuses a format it does not know.
 */
export interface ReportData {
  format: typeof REPORT_FORMAT;
  rollout: ReportRollout;
  header: ReportHeader;
  /** Stage bands in order, the rollback (index −1) included. */
  stages: StageBand[];
  weights: WeightSteps;
  markers: Marker[];
  /** Markers left out past MARKERS_MAX (the timeline of a rollout that flapped for days). */
  markersOmitted: number;
  windows: WindowSeries;
  gates: GateSeries[];
  stageTable: StageRow[];
  /** Whether today's machine reproduces every recorded decision from the log's inputs (as `sluice replay`). */
  replay: { reproduced: boolean; divergenceCount: number; recomputedDecisions: number };
  whatIf: WhatIf | null;
}

export const REPORT_FORMAT = 1;

export interface ReportRollout {
  id: string;
  service: string;
  baseline: string;
  candidate: string;
  adapter: string;
  windowMs: number;
  createdAt: number;
  lastEventAt: number;
  events: number;
}

export interface ReportHeader {
  outcome: AuditOutcome;
  phase: string;
  /** One line, as `sluice audit` says it: why it ended, or where it stands. */
  reason: string;
  /** The decisive decision (rollback, completion, abort, hold) with its evidence, as `sluice audit --json` has it. */
  ending: AuditEnding | null;
}

export interface StageBand {
  /** Index in the spec's stages, or −1 for the rollback. */
  index: number;
  name: string;
  weightPercent: number;
  fromAt: number;
  /** When the next stage, the rollback or the end began; the last event's time while it is still on. */
  toAt: number;
}

/** Step series: each point is [at, weightPercent], the value holding until the next point. */
export interface WeightSteps {
  desired: Array<[number, number]>;
  verified: Array<[number, number]>;
  /** With --spec: what the re-judged policy would have desired. */
  whatIfDesired?: Array<[number, number]>;
}

export interface Marker {
  at: number;
  position: number;
  kind: EntryKind;
  text: string;
  evidence?: Evidence;
  count?: number;
}

/**
 * One entry per `samples.window` event, in log order. `at` is the event's time (the window's end). Latencies are the
 * window's quantiles `quantiles[k]` in ms (null for an empty window), per variant.
 */
export interface WindowSeries {
  at: number[];
  canaryCount: number[];
  canaryErrors: number[];
  baselineCount: number[];
  baselineErrors: number[];
  quantiles: number[];
  canaryLatencyMs: Array<Array<number | null>>;
  baselineLatencyMs: Array<Array<number | null>>;
}

/** What a gate's chart plots besides its verdicts. */
export type GateMetric = 'errorRate' | 'latency' | 'slowShare' | 'canaryShare' | 'none';

/**
 * One gate (by name, across the stages that have it), every recomputed evaluation in order. `window[i]` is the index
 * in WindowSeries of the window that evaluation judged, or −1 for an evaluation caused by another input (a health
 * probe, a metric, a tick). `verdicts` has one letter per evaluation: p(ass), f(ail), i(nconclusive).
 */
export interface GateSeries {
  name: string;
  kind: string;
  stages: string[];
  metric: GateMetric;
  /** The latency gate's quantile (index into WindowSeries.quantiles). */
  quantileIndex?: number;
  /** Evaluation times; empty when every evaluation judged a window (then the window's time is the evaluation's). */
  at: number[];
  window: number[];
  verdicts: string;
  /** The bound the gate compares against, in the metric's unit; null where it has none yet. */
  bound: Array<number | null>;
  boundLabel: string;
  /** slowShare: requests slower than the evaluation's threshold in the judged window, per variant. */
  canarySlow?: number[];
  baselineSlow?: number[];
  thresholdMs?: Array<number | null>;
  /** Sequential gates: natural logs of the e-values (worse / not worse) and of the bound 1/α. */
  logEValueWorse?: Array<number | null>;
  logEValueNotWorse?: Array<number | null>;
  logBound?: number;
  /** Why the evaluation changed verdict: the summaries of the evaluations whose verdict differs from the one before. */
  changes: Array<{ at: number; verdict: string; summary: string }>;
  /** Changes past GATE_CHANGES_KEPT_MAX, counted. */
  changesOmitted: number;
}

export interface VariantStats {
  requests: number;
  errors: number;
  errorRatePercent: number | null;
  latencyMsP50: number | null;
  latencyMsP95: number | null;
  latencyMsP99: number | null;
  latencyMsP999: number | null;
}

/** A row of the per-stage table; `sluice audit --json` has the same rows under `stages`. */
export interface StageRow {
  stage: string;
  index: number;
  weightPercent: number;
  enteredAt: string;
  timeInStageMs: number;
  windows: number;
  canary: VariantStats;
  baseline: VariantStats;
  /** The last recomputed verdict of each gate in that stage (report only; the audit has them under `gates`). */
  finalVerdicts?: Record<string, string>;
}

export interface WhatIf {
  specFile: string;
  comparison: OutcomeComparison;
  /** The first outcome decision where the re-judged run differs from the recorded one; null when they never part. */
  partAt: number | null;
  partText: string;
  recordedSteps: Array<{ at: number; text: string }>;
  whatIfSteps: Array<{ at: number; text: string }>;
}
