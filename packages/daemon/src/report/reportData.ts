import type { AnyStoredEvent, EventLog, NewDecisionEvent, RolloutSpec } from '@sluice/core';
import { buildTimeline } from '../cli/audit/timeline.js';
import { DaemonError } from '../errors.js';
import { GateSeriesBuilder } from './gateSeries.js';
import { recomputeDecisions } from './recompute.js';
import { foldRecorded } from './recordedFold.js';
import { REPORT_FORMAT, type Marker, type ReportData, type StageRow, type WhatIf } from './reportTypes.js';
import { describeOutcomeStep, whatIfOf } from './whatIf.js';

/** Markers on the timeline; past this the rest are counted (a rollout that flapped for days stays drawable). */
export const MARKERS_MAX = 2_000;

export interface ReportDataOptions {
  /** `--spec OTHER`: re-judge the rollout with this spec and show where the outcomes part. */
  whatIf?: { spec: RolloutSpec; file: string };
}

export type ReportLog = Pick<EventLog, 'read' | 'readRecorded'>;

/**
 * Everything a report shows, from the log alone: what was recorded (windows, weights, stages, decisions; read once by
 * foldRecorded and once by the audit's timeline fold) and every gate verdict recomputed by replaying the inputs
 * (recompute.ts). Pure apart from reading `log`; call it inside `log.snapshot` so a live daemon's appends between the
 * reads cannot make the parts disagree.
 * @throws SluiceError SLUICE_E_ROLLOUT_NOT_FOUND (no such rollout), EventInvalidError (no rollout.created).
 */
export function buildReportData(log: ReportLog, rolloutId: string, options: ReportDataOptions = {}): ReportData {
  const recomputed = recomputeDecisions(log, rolloutId);
  const events = (): Iterable<AnyStoredEvent> => log.read(rolloutId);
  const timeline = buildTimeline(events());
  const spec = specOf(events(), rolloutId);
  const gateBuilder = new GateSeriesBuilder(spec, recomputed.decisions);
  const fold = foldRecorded(events(), gateBuilder.quantiles, gateBuilder.visitor);
  if (fold === null) throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', `rollout "${rolloutId}" has no rollout.created event; \`sluice verify --db FILE\` checks the log`);
  const markers: Marker[] = timeline.entries.map((entry) => ({
    at: Date.parse(entry.at),
    position: entry.position,
    kind: entry.kind,
    text: entry.text,
    ...(entry.evidence ? { evidence: entry.evidence } : {}),
    ...(entry.count ? { count: entry.count } : {}),
  }));
  let whatIf: WhatIf | null = null;
  const weights = fold.weights;
  if (options.whatIf) {
    const other = recomputeDecisions(log, rolloutId, options.whatIf.spec);
    whatIf = whatIfOf(options.whatIf.file, recordedOutcomeSteps(events()), other);
    weights.whatIfDesired = other.decisions.flatMap((d) => (d.type === 'weight.desired' ? [[d.at, d.data.weightPercent] as [number, number]] : []));
  }
  return {
    format: REPORT_FORMAT,
    rollout: {
      id: spec.id,
      service: spec.service,
      baseline: spec.baseline,
      candidate: spec.candidate,
      adapter: spec.adapter.type,
      windowMs: spec.window,
      createdAt: fold.createdAt,
      lastEventAt: fold.lastEventAt,
      events: fold.events,
    },
    header: { outcome: timeline.outcome, phase: timeline.phase, reason: timeline.reason, ending: timeline.ending },
    stages: fold.stages,
    weights,
    markers: markers.slice(0, MARKERS_MAX),
    markersOmitted: timeline.entriesOmitted + Math.max(0, markers.length - MARKERS_MAX),
    windows: fold.windows,
    gates: gateBuilder.result(fold.windows.at),
    stageTable: withFinalVerdicts(fold.stageTable, recomputed.decisions),
    replay: { reproduced: recomputed.reproduced, divergenceCount: recomputed.divergenceCount, recomputedDecisions: recomputed.decisions.length },
    whatIf,
  };
}

function specOf(events: Iterable<AnyStoredEvent>, rolloutId: string): RolloutSpec {
  for (const event of events) {
    if (event.type === 'rollout.created') return event.data.spec;
    break;
  }
  throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', `rollout "${rolloutId}" does not start with a rollout.created event; \`sluice verify --db FILE\` checks the log`);
}

/** The last recomputed verdict of every gate, per stage visit (a stage is entered once; the rollback row has none). */
function withFinalVerdicts(rows: StageRow[], decisions: readonly NewDecisionEvent[]): StageRow[] {
  const byStage = new Map<string, Record<string, string>>();
  for (const decision of decisions) {
    if (decision.type !== 'gate.evaluated') continue;
    const verdicts = byStage.get(decision.data.stage) ?? {};
    verdicts[decision.data.gate] = decision.data.verdict;
    byStage.set(decision.data.stage, verdicts);
  }
  return rows.map((row) => (row.index < 0 ? row : { ...row, finalVerdicts: byStage.get(row.stage) ?? {} }));
}

function recordedOutcomeSteps(events: Iterable<AnyStoredEvent>): NewDecisionEvent[] {
  const steps: NewDecisionEvent[] = [];
  for (const event of events) {
    const step = { type: event.type, at: event.at, data: event.data } as NewDecisionEvent;
    if (describeOutcomeStep(step) !== null) steps.push(step);
  }
  return steps;
}
