import { ChainVerifier, verifyTail, type BrokenLink, type EventLog, type VerifyResult } from '@sluice/core';
import type { Logger } from 'pino';
import type { IngestJournal, JournalVerifyResult } from '../ingest/IngestJournal.js';

/**
 * What the daemon knows of its log's integrity: checked before it serves (the tail since the last checkpoint, and every
 * ingest journal row), then the whole log again in the background. Served on /readyz, GET /v1/log/head and /metrics.
 */
export interface IntegrityReport {
  /** verifying: the tail is verified, the rest is being verified in the background; verified: all of it; broken. */
  state: 'verifying' | 'verified' | 'broken';
  /** The log's head when the daemon started: sequence and link. */
  headAtStart: { seq: number; link: string | null } | null;
  /** Rows verified before the daemon was ready: those after this checkpoint (0: the whole log). */
  tailFromSeq: number;
  tailEvents: number;
  /** Every row up to this sequence number has been verified (after the background pass: the head at start). */
  verifiedThroughSeq: number;
  journal: { rows: number; checked: boolean };
  keyed?: VerifyResult['keyed'];
  /** What is broken, where (set when state is broken). */
  broken?: BrokenLink | { journalRowId: number; rolloutId: string; windowStartAt: number; reason: string };
}

/** Rows verified per slice of the background pass; between slices the event loop serves requests. */
export const BACKGROUND_VERIFY_SLICE_ROWS = 2_000;

/** Checks what must hold before the daemon serves. Returns the report; its state is `broken` when something is. */
export function checkAtStart(log: EventLog, journal: IngestJournal): IntegrityReport {
  let tail: VerifyResult;
  let journalResult: JournalVerifyResult;
  let headAtStart: IntegrityReport['headAtStart'];
  try {
    tail = verifyTail(log);
    journalResult = journal.verify();
    headAtStart = log.logHead();
  } catch (error) {
    // A page SQLite cannot read (bytes overwritten in the middle of the file) is a broken log, never a stack trace.
    const code = (error as { code?: string }).code ?? 'error';
    return {
      state: 'broken', headAtStart: null, tailFromSeq: 0, tailEvents: 0, verifiedThroughSeq: 0, journal: { rows: 0, checked: false },
      broken: { rolloutId: null, position: null, seq: null, reason: `the log file is damaged: ${(error as Error).message} (${code}) — \`sluice verify --db\` names the page; restore it from a backup` },
    };
  }
  const report: IntegrityReport = {
    state: 'verifying',
    headAtStart,
    tailFromSeq: tail.fromCheckpointSeq ?? 0,
    tailEvents: tail.events,
    verifiedThroughSeq: tail.fromCheckpointSeq ?? headAtStart?.seq ?? 0,
    journal: { rows: journalResult.rows, checked: journalResult.checked },
  };
  if (tail.keyed) report.keyed = tail.keyed;
  if (!tail.ok) {
    report.state = 'broken';
    report.broken = tail.broken!;
  } else if (!journalResult.ok) {
    const forged = journalResult.forged!;
    report.state = 'broken';
    report.broken = { journalRowId: forged.id, rolloutId: forged.rolloutId, windowStartAt: forged.windowStartAt, reason: `ingest journal row ${forged.id} (rollout ${forged.rolloutId}, window ${new Date(forged.windowStartAt).toISOString()}, ${forged.variant}, ${forged.count} samples): ${forged.reason}` };
  } else if (tail.fromCheckpointSeq === undefined) {
    // No checkpoint: the tail was the whole log.
    report.state = 'verified';
  }
  return report;
}

/** One line naming what is broken and where, for refusals and logs. */
export function describeBroken(report: IntegrityReport): string {
  const broken = report.broken;
  if (!broken) return 'intact';
  if ('journalRowId' in broken) return broken.reason;
  const where = broken.rolloutId === null ? `sequence ${broken.seq}` : `rollout ${broken.rolloutId} position ${broken.position}${broken.seq === null ? '' : ` (sequence ${broken.seq})`}`;
  return `${where}: ${broken.reason}`;
}

/**
 * Verifies rows 1 … `report.headAtStart.seq` in slices of BACKGROUND_VERIFY_SLICE_ROWS, yielding to the event loop
 * between them: those rows cannot change under an append-only writer, so no read transaction is held meanwhile. On
 * success a checkpoint is written (unless read-only), so the next start verifies only what comes after it.
 */
export function verifyInBackground(
  log: EventLog,
  report: IntegrityReport,
  options: { readOnly: boolean; now: () => number; logger: Logger; onBroken(report: IntegrityReport): void; onVerified?(report: IntegrityReport): void },
): { cancel(): void } {
  let cancelled = false;
  const head = report.headAtStart;
  if (report.state !== 'verifying' || !head) return { cancel() {} };
  const verifier = new ChainVerifier(log, { throughSeq: head.seq });
  const started = options.now();
  const slice = (): void => {
    if (cancelled) return;
    let done: boolean;
    try {
      done = verifier.step(BACKGROUND_VERIFY_SLICE_ROWS);
    } catch (error) {
      // A page SQLite cannot read (bytes damaged in the middle of the file) is a broken log too, not a crash.
      report.state = 'broken';
      report.broken = { rolloutId: null, position: null, seq: null, reason: `the log file could not be read: ${(error as Error).message}` };
      options.onBroken(report);
      return;
    }
    if (!done) {
      setImmediate(slice);
      return;
    }
    const result = verifier.finish();
    if (!result.ok) {
      report.state = 'broken';
      report.broken = result.broken!;
      options.onBroken(report);
      return;
    }
    report.state = 'verified';
    report.verifiedThroughSeq = head.seq;
    if (!options.readOnly && head.link !== null) {
      try {
        log.writeCheckpoint(head.seq, head.link, options.now());
      } catch (error) {
        options.logger.warn({ err: error }, 'could not write the verification checkpoint; the next start verifies more of the log');
      }
    }
    options.logger.info({ events: result.events, throughSeq: head.seq, durationMs: options.now() - started }, 'the whole event log verifies');
    options.onVerified?.(report);
  };
  setImmediate(slice);
  return {
    cancel() {
      cancelled = true;
    },
  };
}
