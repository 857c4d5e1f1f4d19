import type { Command } from 'commander';
import type { EventLog } from '@sluice/core';
import { DaemonError } from '../../errors.js';
import { iso } from '../audit/entryText.js';
import { momentAt, type AuditMoment } from '../audit/moment.js';
import { offlineUsageError, openLogReadonly, requireRollout } from '../audit/offlineLog.js';
import { parseAuditTime } from '../audit/parseAuditTime.js';
import { renderList, renderMoment, renderTimeline } from '../audit/render.js';
import { buildTimeline, type AuditOutcome, type AuditTimeline } from '../audit/timeline.js';
import type { CliIo } from '../main.js';
import { stageTableOf } from '../../report/recordedFold.js';
import type { StageRow } from '../../report/reportTypes.js';

/**
 * `sluice audit --db FILE [ID] [--at TIME] [--json]`: answers "what happened, and why?" about past rollouts from the
 * log file alone, offline and read-only (docs/cli.md). Without ID: every rollout with its outcome, times and reason.
 * With ID: the rollout's timeline, its gates' verdicts condensed, and how it ended. With --at: its state at that
 * moment and the decision nearest to it. Exit 0 when it printed the audit, 2 for a bad file, id or time.
 */
export function registerAudit(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description("Audit past rollouts offline from the log: list them, one rollout's timeline, or its state at a moment")
    .argument('[id]', 'rollout id; every rollout (one line each) when omitted')
    .requiredOption('--db <file>', 'SQLite event log file (opened read-only)')
    .option('--at <time>', "state at this moment and the decision nearest to it: ISO time, HH:MM[:SS] (UTC, on the rollout's day) or ms since epoch")
    .option('--json', 'print one JSON object', false)
    .action((id: string | undefined, options: AuditOptions) => runAudit(id, options, io));
}

interface AuditOptions {
  db: string;
  at?: string;
  json: boolean;
}

/** `--json` without ID. */
export interface AuditListJson {
  ok: true;
  file: string;
  rollouts: AuditListItem[];
}

export interface AuditListItem {
  rolloutId: string;
  service: string;
  baseline: string;
  candidate: string;
  outcome: AuditOutcome;
  phase: string;
  stage: string | null;
  createdAt: string;
  endedAt: string | null;
  lastEventAt: string;
  events: number;
  reason: string;
}

/** `--json` with ID (`moment` only with --at, `rollout` only without). */
export interface AuditRolloutJson {
  ok: true;
  file: string;
  /** `stages`: per stage, requests, errors and latency quantiles of canary and baseline (the table of `sluice report`). */
  rollout?: AuditTimeline & { stages: StageRow[] };
  moment?: AuditMoment;
}

function runAudit(id: string | undefined, options: AuditOptions, io: CliIo): void {
  let log: EventLog;
  try {
    log = openLogReadonly(options.db);
  } catch (error) {
    offlineUsageError('audit', options.db, options.json, io, error);
  }
  try {
    // One read transaction: a live daemon appending to the file does not make the parts disagree.
    const text = log.snapshot(() => (id === undefined ? auditAll(log, options) : auditOne(log, id, options)));
    io.out(text);
  } catch (error) {
    offlineUsageError('audit', options.db, options.json, io, error);
  } finally {
    log.close();
  }
}

function auditAll(log: EventLog, options: AuditOptions): string {
  if (options.at !== undefined) throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', '--at needs a rollout ID: sluice audit --db FILE ID --at TIME');
  const timelines = log.listRollouts().map((r) => buildTimeline(log.read(r.rolloutId)));
  if (!options.json) return renderList(timelines, options.db);
  const rollouts = timelines.map(({ rolloutId, service, baseline, candidate, outcome, phase, stage, createdAt, endedAt, lastEventAt, events, reason }) => ({
    rolloutId, service, baseline, candidate, outcome, phase, stage, createdAt, endedAt, lastEventAt, events, reason,
  }));
  return json({ ok: true, file: options.db, rollouts } satisfies AuditListJson);
}

function auditOne(log: EventLog, id: string, options: AuditOptions): string {
  const summary = requireRollout(log, id);
  // Every verdict of the gates, recomputed from the inputs when the log holds only the new ones (docs/log.md).
  const timeline = buildTimeline(log.read(id), { recomputeVerdicts: true });
  if (options.at === undefined) {
    return options.json ? json({ ok: true, file: options.db, rollout: { ...timeline, stages: stageTableOf(log.read(id)) } } satisfies AuditRolloutJson) : renderTimeline(timeline);
  }
  const at = parseAuditTime(options.at, summary);
  if (at < summary.firstAt) {
    throw new DaemonError(
      'SLUICE_E_ARGUMENT_INVALID',
      `--at ${iso(at)} is before rollout "${id}" was created (${iso(summary.firstAt)}); its log runs to ${iso(summary.lastAt)}`,
    );
  }
  const moment = momentAt(log.read(id), at, timeline);
  return options.json ? json({ ok: true, file: options.db, moment } satisfies AuditRolloutJson) : renderMoment(timeline, moment);
}

function json(value: AuditListJson | AuditRolloutJson): string {
  return `${JSON.stringify(value)}\n`;
}
