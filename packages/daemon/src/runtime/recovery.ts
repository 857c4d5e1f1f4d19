import { createLatencyHistogram, encodeLatencyHistogram, type EventLog, type LatencyHistogram, type RolloutEnd } from '@sluice/core';
import type { Logger } from 'pino';
import type { IngestJournal, JournalRow } from '../ingest/IngestJournal.js';
import type { SampleSink } from '../ingest/IngestPipeline.js';
import type { QuarantinedRollout, RolloutEntry, RolloutRuntime } from './RolloutRuntime.js';

export interface RecoveryReport {
  /** Rollouts in the log, ended ones included. */
  rollouts: number;
  /** Rollouts rebuilt in memory: the active ones, and ended ones whose final weight was not verified yet. */
  loaded: number;
  active: number;
  /** Ended rollouts left in the log: not read at start; the API reads them when asked. */
  ended: number;
  journalRowsReplayed: number;
  journalRowsDiscarded: number;
  samplesReplayed: number;
  /** Rollouts whose log could not be loaded: set aside, reported, their journal rows kept (RolloutRuntime.quarantine). */
  quarantined: QuarantinedRollout[];
  /** Journal rows kept for quarantined rollouts, or left untouched by a read-only start. */
  journalRowsKept: number;
}

/**
 * Crash recovery, run before the API takes requests (/readyz answers 503 until it is done):
 * 1. the log's lifecycle index says which rollouts ended (one query, no rollout read); only the others are rebuilt
 *    from their events (RolloutSession.load) and activated (recorder window opened, sources started) by `activate`.
 *    An ended rollout is rebuilt too while its final weight may not be in force (`needsReconciling`), so that the
 *    reconciler applies it. Start-up time and memory depend on the active rollouts, not on the log's history;
 * 2. the ingest journal is replayed into the recorder: rows of windows that the log already holds as `samples.window`
 *    events (the crash came between the append and the discard) and rows of ended rollouts are discarded, the others
 *    are recorded again — so every acknowledged sample ends up in exactly one window event.
 * A rollout that cannot be loaded or started is quarantined; the others run.
 */
export function recover(
  parts: {
    log: EventLog;
    runtime: RolloutRuntime;
    journal: IngestJournal;
    sink: SampleSink;
    activate(entry: RolloutEntry): void;
    /** Closes and appends every window ending at or before `at` (makes room when a replayed window would overflow). */
    closeWindowsThrough(at: number): void;
    /** A --read-only start: rebuild and report, but neither replay nor discard journal rows. */
    readOnly?: boolean;
    /**
     * An ended rollout with acknowledged samples in windows its log does not hold (the daemon died between the
     * rollout's end and the append of its last open windows): its entry, with its recorder window open to take them.
     * Undefined when it cannot be loaded; its rows are then kept.
     */
    openEnded?(rolloutId: string): RolloutEntry | undefined;
    /** Appends what the recorder holds for an ended rollout as its last windows; false when that failed. */
    logFinalWindows?(entry: RolloutEntry): boolean;
  },
  logger: Logger,
): RecoveryReport {
  const { log, runtime, journal, sink } = parts;
  const report: RecoveryReport = { rollouts: 0, loaded: 0, active: 0, ended: 0, journalRowsReplayed: 0, journalRowsDiscarded: 0, samplesReplayed: 0, quarantined: [], journalRowsKept: 0 };
  for (const { rolloutId, end } of log.rolloutLifecycles()) {
    report.rollouts++;
    if (end !== null) report.ended++;
    if (end !== null && !needsReconciling(log, end)) continue;
    // Recovery never stops on one rollout: one whose log cannot be loaded is quarantined and the others run.
    let entry: RolloutEntry;
    try {
      entry = runtime.load(rolloutId);
    } catch (error) {
      report.quarantined.push(runtime.quarantine(rolloutId, error));
      logger.error({ rolloutId, err: error }, 'rollout quarantined: its log cannot be loaded; the other rollouts run');
      continue;
    }
    report.loaded++;
    // Starting it (its recorder window, its sources) can fail on a stored spec this build cannot run (e.g. window 0,
    // accepted by builds before specs had ranges): that rollout is quarantined as well.
    if (!entry.session.view.terminal) {
      try {
        parts.activate(entry);
      } catch (error) {
        report.quarantined.push(runtime.quarantine(rolloutId, error));
        logger.error({ rolloutId, err: error }, 'rollout quarantined: it cannot be started from its stored spec; the other rollouts run');
        continue;
      }
      report.active++;
    }
  }
  // Windows a rollout's log holds, by start — read only for rollouts that have journal rows (a log holds every
  // rollout ever run; the journal only recent ones). A set, not the latest start: an older window whose append failed
  // is not in the log although a later one is, and its rows must be replayed, not dropped.
  const loggedWindows = new Map<string, Set<number>>();
  const loggedWindowsOf = (rolloutId: string): Set<number> => {
    let starts = loggedWindows.get(rolloutId);
    if (starts) return starts;
    starts = new Set<number>();
    for (const event of log.readRecorded(rolloutId, 0)) {
      if (event.type === 'samples.window') starts.add(event.data.windowStartAt);
    }
    loggedWindows.set(rolloutId, starts);
    return starts;
  };
  // Oldest windows first, so the recorder's bound on open windows is met by closing windows in order.
  if (parts.readOnly) {
    report.journalRowsKept = journal.pendingRows();
    logger.info({ ...report }, 'recovery finished (read-only: journal rows left as they are)');
    return report;
  }
  const rows = [...journal.readAll()].sort((a, b) => a.windowStartAt - b.windowStartAt);
  const logged: { rolloutId: string; windowStartAt: number }[] = [];
  const ended = new Set<string>();
  const endedRows = new Map<string, JournalRow[]>();
  for (const row of rows) {
    if (runtime.isQuarantined(row.rolloutId)) {
      report.journalRowsKept++;
      continue;
    }
    const entry = runtime.get(row.rolloutId);
    if (!entry || entry.session.view.terminal) {
      // An ended rollout (not rebuilt, or rebuilt to reconcile its weight) takes no more samples; its rows are settled
      // below: dropped when its log holds their windows, logged as its last windows when it does not.
      const rowsOfEnded = endedRows.get(row.rolloutId);
      if (rowsOfEnded) rowsOfEnded.push(row);
      else endedRows.set(row.rolloutId, [row]);
      continue;
    }
    if (loggedWindowsOf(row.rolloutId).has(row.windowStartAt)) {
      report.journalRowsDiscarded++;
      logged.push({ rolloutId: row.rolloutId, windowStartAt: row.windowStartAt });
      continue;
    }
    report.journalRowsReplayed++;
    report.samplesReplayed += row.count;
    if (!replayRow(sink, row)) {
      parts.closeWindowsThrough(row.windowStartAt);
      if (!replayRow(sink, row)) logger.error({ rolloutId: row.rolloutId, windowStartAt: row.windowStartAt, count: row.count }, 'journal row could not be replayed');
    }
  }
  settleEndedRows(parts, endedRows, loggedWindowsOf, ended, report, logger);
  // One transaction for all of it: a commit per rollout would cost a thousand fsyncs at start-up.
  journal.discardWindows([...ended].map((rolloutId) => ({ rolloutId, windowStartAt: Number.MAX_SAFE_INTEGER })));
  journal.discardExactWindows(logged);
  logger.info({ ...report }, 'recovery finished');
  return report;
}

/**
 * Whether an ended rollout must be rebuilt at start because its final weight may not be in force. The machine ends a
 * rollout `completed` or `rolledBack` only once the adapter verified 100% or 0%; an abort ends it at once, with 0%
 * desired and perhaps not applied when the daemon stopped. Read from the log's tail: the `weight.desired` the abort
 * decided (the event before `aborted`) and a `weight.applied` of that generation after it. When the abort decided no
 * new weight (0% was already desired, e.g. while rolling back), the answer needs the whole fold: it is rebuilt.
 */
export function needsReconciling(log: EventLog, end: RolloutEnd): boolean {
  if (end.type !== 'aborted') return false;
  const desired = end.position > 0 ? log.eventAt(end.rolloutId, end.position - 1) : undefined;
  if (desired?.type !== 'weight.desired') return true;
  for (const event of log.readRecorded(end.rolloutId, end.position + 1)) {
    if (event.type === 'weight.applied' && event.data.generation >= desired.data.generation) return false;
  }
  return true;
}

/**
 * The journal rows of ended rollouts. Rows of windows the rollout's log holds are dropped. Rows of windows it does not
 * hold are acknowledged samples that were never logged: the daemon died between the rollout's end and the append of
 * its last open windows (Daemon #logFinalWindows). They are logged now as its last windows — before this, they were
 * dropped with the rest, and the crash loop (testing/crashLoop.ts) lost 100 acknowledged samples in 2 of 100 kills.
 */
function settleEndedRows(
  parts: Parameters<typeof recover>[0],
  endedRows: ReadonlyMap<string, JournalRow[]>,
  loggedWindowsOf: (rolloutId: string) => Set<number>,
  ended: Set<string>,
  report: RecoveryReport,
  logger: Logger,
): void {
  for (const [rolloutId, rows] of endedRows) {
    // Rows of a rollout the log does not hold at all cannot be logged anywhere (the journal seals keep forgeries out).
    const unlogged = parts.runtime.exists(rolloutId) ? rows.filter((row) => !loggedWindowsOf(rolloutId).has(row.windowStartAt)) : [];
    if (unlogged.length > 0 && !logEndedRows(parts, rolloutId, unlogged, logger)) {
      report.journalRowsKept += rows.length;
      continue;
    }
    report.journalRowsReplayed += unlogged.length;
    for (const row of unlogged) report.samplesReplayed += row.count;
    report.journalRowsDiscarded += rows.length - unlogged.length;
    ended.add(rolloutId);
  }
}

function logEndedRows(parts: Parameters<typeof recover>[0], rolloutId: string, rows: readonly JournalRow[], logger: Logger): boolean {
  const entry = parts.openEnded?.(rolloutId);
  if (!entry || !parts.logFinalWindows) {
    logger.error({ rolloutId, rows: rows.length }, 'acknowledged samples of an ended rollout could not be logged; their journal rows are kept for the next start');
    return false;
  }
  for (const row of rows) {
    // The recorder keeps a few windows open per rollout: when they are full, log those first and go on.
    if (replayRow(parts.sink, row)) continue;
    if (!parts.logFinalWindows(entry) || !(parts.openEnded?.(rolloutId) && replayRow(parts.sink, row))) return false;
  }
  const logged = parts.logFinalWindows(entry);
  if (logged) logger.warn({ rolloutId, rows: rows.length }, 'logged the acknowledged samples of an ended rollout whose last windows were not in its log');
  return logged;
}

/** Records one journal row again; false when the recorder refused it (its bound of open windows is reached). */
function replayRow(sink: SampleSink, row: JournalRow): boolean {
  const aggregate: Parameters<SampleSink['recordAggregate']>[1] = { variant: row.variant, windowStartAt: row.windowStartAt, count: row.count, errors: row.errors };
  if (row.latencyHistogram) aggregate.latencyHistogram = row.latencyHistogram;
  else if (row.latenciesUs) aggregate.latencyHistogram = encodeLatencyHistogram(histogramOf(row.latenciesUs));
  return sink.recordAggregate(row.rolloutId, aggregate);
}

function histogramOf(latenciesUs: Uint32Array): LatencyHistogram {
  const histogram = createLatencyHistogram();
  for (const latencyUs of latenciesUs) histogram.recordValue(latencyUs);
  return histogram;
}
