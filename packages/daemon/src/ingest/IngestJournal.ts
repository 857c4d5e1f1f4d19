import Database from 'better-sqlite3';
import type { Variant } from '@sluice/core';
import { DaemonError } from '../errors.js';

/**
 * The durable ingest journal: per-window partial aggregates of acknowledged samples that are not yet in a closed
 * `samples.window` event. It lives in its own table of the daemon's SQLite file, written through a second connection
 * with `synchronous = FULL`, so a committed row has been fsynced before its batch is acknowledged.
 *
 * Lifecycle of a row: written by the group commit before the ack (IngestPipeline) → the samples are recorded in
 * memory → when the window closes, the scheduler appends the `samples.window` event to the log and then discards the
 * rows of that window. A crash between the append and the discard is harmless: on start, rows of windows the log
 * already holds are discarded, the others are replayed into the recorder (recovery.ts).
 */
export interface JournalRow {
  rolloutId: string;
  windowStartAt: number;
  variant: Variant;
  count: number;
  errors: number;
  /** Per-request latencies in integer microseconds (per-request samples). */
  latenciesUs?: Uint32Array;
  /** Compressed base64 HdrHistogram (pre-aggregated windows). */
  latencyHistogram?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sluice_daemon_ingest_journal (
  id INTEGER PRIMARY KEY,
  rollout_id TEXT NOT NULL,
  window_start_at INTEGER NOT NULL,
  variant TEXT NOT NULL CHECK (variant IN ('baseline', 'canary')),
  count INTEGER NOT NULL CHECK (count >= 0),
  errors INTEGER NOT NULL CHECK (errors >= 0 AND errors <= count),
  latencies_us BLOB,
  latency_histogram TEXT
);
CREATE INDEX IF NOT EXISTS sluice_daemon_ingest_journal_window ON sluice_daemon_ingest_journal (rollout_id, window_start_at);
`;

export class IngestJournal {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #discardThrough: Database.Statement;
  readonly #discardRollout: Database.Statement;
  readonly #writeRows: (rows: readonly JournalRow[]) => void;
  readonly #discardMany: (windows: readonly { rolloutId: string; windowStartAt: number }[]) => void;
  readonly #discardExact: Database.Statement;
  readonly #discardExactMany: (windows: readonly { rolloutId: string; windowStartAt: number }[]) => void;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#insert = db.prepare(
      'INSERT INTO sluice_daemon_ingest_journal (rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#discardThrough = db.prepare('DELETE FROM sluice_daemon_ingest_journal WHERE rollout_id = ? AND window_start_at <= ?');
    this.#discardRollout = db.prepare('DELETE FROM sluice_daemon_ingest_journal WHERE rollout_id = ?');
    this.#discardExact = db.prepare('DELETE FROM sluice_daemon_ingest_journal WHERE rollout_id = ? AND window_start_at = ?');
    this.#discardExactMany = db.transaction((windows: readonly { rolloutId: string; windowStartAt: number }[]) => {
      for (const { rolloutId, windowStartAt } of windows) this.#discardExact.run(rolloutId, windowStartAt);
    });
    this.#discardMany = db.transaction((windows: readonly { rolloutId: string; windowStartAt: number }[]) => {
      for (const { rolloutId, windowStartAt } of windows) this.#discardThrough.run(rolloutId, windowStartAt);
    });
    this.#writeRows = db.transaction((rows: readonly JournalRow[]) => {
      for (const row of rows) {
        const blob = row.latenciesUs ? Buffer.from(row.latenciesUs.buffer, row.latenciesUs.byteOffset, row.latenciesUs.byteLength) : null;
        this.#insert.run(row.rolloutId, row.windowStartAt, row.variant, row.count, row.errors, blob, row.latencyHistogram ?? null);
      }
    });
  }

  /** Opens the journal table in `file` (the daemon's database), creating it when missing. */
  static open(file: string): IngestJournal {
    try {
      const db = new Database(file, { timeout: 5_000 });
      // Every pragma explicitly: WAL for concurrent readers, FULL so that a commit is on disk before the ack.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      return new IngestJournal(db);
    } catch (error) {
      throw new DaemonError('SLUICE_E_JOURNAL', `cannot open the ingest journal in ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Writes rows in one transaction (one fsync). Throws SLUICE_E_JOURNAL; nothing is written then. */
  write(rows: readonly JournalRow[]): void {
    if (rows.length === 0) return;
    try {
      this.#writeRows(rows);
    } catch (error) {
      throw new DaemonError('SLUICE_E_JOURNAL', `cannot write ${rows.length} ingest journal row(s): ${(error as Error).message}`, { cause: error });
    }
  }

  /** Drops the rows of windows starting at or before `windowStartAt`: the log now holds them as window events. */
  discardThrough(rolloutId: string, windowStartAt: number): void {
    this.#discardThrough.run(rolloutId, windowStartAt);
  }

  /**
   * Drops the rows of many closed windows in one transaction: one fsync per scheduler tick, not one per window (at
   * 1,000 rollouts, a commit each would cost seconds per second of disk time).
   */
  discardWindows(windows: readonly { rolloutId: string; windowStartAt: number }[]): void {
    if (windows.length > 0) this.#discardMany(windows);
  }

  /**
   * Drops the rows of exactly these windows, in one transaction. Unlike discardWindows, an older window whose append
   * failed keeps its rows when a later window of the same rollout is logged (they are replayed at the next start).
   */
  discardExactWindows(windows: readonly { rolloutId: string; windowStartAt: number }[]): void {
    if (windows.length > 0) this.#discardExactMany(windows);
  }

  discardRollout(rolloutId: string): void {
    this.#discardRollout.run(rolloutId);
  }

  /** Every row, oldest first (recovery). */
  *readAll(): IterableIterator<JournalRow> {
    const rows = this.#db
      .prepare('SELECT rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram FROM sluice_daemon_ingest_journal ORDER BY id')
      .iterate() as IterableIterator<Record<string, unknown>>;
    for (const r of rows) {
      const row: JournalRow = {
        rolloutId: r.rollout_id as string,
        windowStartAt: r.window_start_at as number,
        variant: r.variant as Variant,
        count: r.count as number,
        errors: r.errors as number,
      };
      const blob = r.latencies_us as Buffer | null;
      if (blob) row.latenciesUs = new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
      if (typeof r.latency_histogram === 'string') row.latencyHistogram = r.latency_histogram;
      yield row;
    }
  }

  /** Rows waiting for their window (for /metrics and tests). */
  pendingRows(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM sluice_daemon_ingest_journal').get() as { n: number }).n;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
