import Database from 'better-sqlite3';
import { createHmac, hash as sha256, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SluiceError, type ChainKey, type Variant } from '@sluice/core';
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
 *
 * Every row is sealed: an HMAC over its id and content under the journal key, so a row inserted or edited by anything
 * but the daemon is found (`verify`) before it is replayed — without it, inserting one row made the daemon log 100,000
 * forged samples as a properly hashed window. The journal key is the chain key when the log is keyed; otherwise a
 * random key kept beside the log in `<db>.journal-key` (mode 0600), created with the journal. Rows that were in the
 * journal when sealing was introduced are sealed once, as they are, when the column is added.
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
  latency_histogram TEXT,
  seal TEXT
);
CREATE INDEX IF NOT EXISTS sluice_daemon_ingest_journal_window ON sluice_daemon_ingest_journal (rollout_id, window_start_at);
`;

/** A row that does not verify: inserted or edited outside the daemon, or sealed with another key. */
export interface ForgedJournalRow {
  id: number;
  rolloutId: string;
  windowStartAt: number;
  variant: string;
  count: number;
  reason: string;
}

export interface JournalVerifyResult {
  ok: boolean;
  rows: number;
  /** False when there was no key to check the seals with (read-only, key file missing). */
  checked: boolean;
  forged?: ForgedJournalRow;
}

export interface IngestJournalOptions {
  /** Open without writing anything (daemon --read-only, `sluice verify`): no table is created, writes are refused. */
  readOnly?: boolean;
  /** The log's chain key: seals rows when given, instead of the key in `<db>.journal-key`. */
  chainKey?: ChainKey;
  /** The log is keyed: without `chainKey` the seals cannot be checked (the key file no longer seals its rows). */
  logKeyed?: boolean;
}

export function journalKeyFileOf(file: string): string {
  return `${file}.journal-key`;
}

export class IngestJournal {
  readonly #db: Database.Database;
  readonly #key: Buffer | undefined;
  readonly #readOnly: boolean;
  readonly #nextId: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #discardThrough: Database.Statement;
  readonly #discardRollout: Database.Statement;
  readonly #writeRows: (rows: readonly JournalRow[]) => void;
  readonly #discardMany: (windows: readonly { rolloutId: string; windowStartAt: number }[]) => void;
  readonly #discardExact: Database.Statement;
  readonly #discardExactMany: (windows: readonly { rolloutId: string; windowStartAt: number }[]) => void;

  private constructor(db: Database.Database, key: Buffer | undefined, readOnly: boolean, previousKey?: Buffer) {
    this.#db = db;
    this.#key = key;
    this.#readOnly = readOnly;
    if (!readOnly) {
      db.exec(SCHEMA);
      this.#addSealColumn();
      if (previousKey) this.#resealFrom(previousKey);
    } else if (!this.exists) {
      // A log no daemon ran on has no journal: an empty temporary one stands in, so reads need no special case.
      db.exec(`CREATE TEMP TABLE sluice_daemon_ingest_journal (id INTEGER PRIMARY KEY, rollout_id TEXT, window_start_at INTEGER, variant TEXT, count INTEGER, errors INTEGER, latencies_us BLOB, latency_histogram TEXT, seal TEXT)`);
    }
    this.#nextId = db.prepare('SELECT coalesce(max(id), 0) + 1 AS id FROM sluice_daemon_ingest_journal');
    this.#insert = readOnly
      ? db.prepare('SELECT 1')
      : db.prepare(
          'INSERT INTO sluice_daemon_ingest_journal (id, rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
      // Ids are given explicitly because the seal covers them: a copy of a row under another id does not verify.
      // The daemon holds the log's writer lock, so nobody else inserts between this read and the inserts.
      let id = (this.#nextId.get() as { id: number }).id;
      for (const row of rows) {
        const blob = row.latenciesUs ? Buffer.from(row.latenciesUs.buffer, row.latenciesUs.byteOffset, row.latenciesUs.byteLength) : null;
        const histogram = row.latencyHistogram ?? null;
        this.#insert.run(id, row.rolloutId, row.windowStartAt, row.variant, row.count, row.errors, blob, histogram, this.#seal(id, row.rolloutId, row.windowStartAt, row.variant, row.count, row.errors, blob, histogram));
        id++;
      }
    });
  }

  /**
   * Opens the journal table in `file` (the daemon's database), creating it when missing — and the journal key beside
   * it when the log is not keyed. Read-only: creates nothing; without a key file the seals cannot be checked.
   */
  static open(file: string, options: IngestJournalOptions = {}): IngestJournal {
    const readOnly = options.readOnly ?? false;
    let key: Buffer | undefined;
    try {
      key = options.chainKey?.secret ?? (options.logKeyed ? undefined : journalKey(file, readOnly));
    } catch (error) {
      throw new DaemonError('SLUICE_E_JOURNAL', `cannot read or create the journal key ${journalKeyFileOf(file)}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const db = new Database(file, { timeout: 5_000, readonly: readOnly, fileMustExist: readOnly });
      if (!readOnly) {
        // Every pragma explicitly: WAL for concurrent readers, FULL so that a commit is on disk before the ack.
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
      }
      // Keyed now, but the journal key file exists: the rows it sealed are sealed again under the chain key.
      const previousKey = !readOnly && options.chainKey && existsSync(journalKeyFileOf(file)) ? journalKey(file, true) : undefined;
      const journal = new IngestJournal(db, key, readOnly, previousKey);
      if (readOnly) db.pragma('query_only = ON');
      return journal;
    } catch (error) {
      throw new DaemonError('SLUICE_E_JOURNAL', `cannot open the ingest journal in ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Whether the file has a journal table at all (a log no daemon ever ran on has none). */
  get exists(): boolean {
    return this.#db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sluice_daemon_ingest_journal'").get() !== undefined;
  }

  /**
   * Checks the seal of every row, in id order, and returns the first that does not verify — a row inserted or edited
   * outside the daemon. The daemon refuses to start on one (unless --read-only): replaying it would log forged samples.
   */
  verify(): JournalVerifyResult {
    if (!this.exists) return { ok: true, rows: 0, checked: this.#key !== undefined };
    const rows = this.#db
      .prepare('SELECT id, rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram, seal FROM sluice_daemon_ingest_journal ORDER BY id')
      .all() as { id: number; rollout_id: string; window_start_at: number; variant: string; count: number; errors: number; latencies_us: Buffer | null; latency_histogram: string | null; seal: string | null }[];
    if (!this.#key) return { ok: true, rows: rows.length, checked: false };
    for (const r of rows) {
      const expected = this.#seal(r.id, r.rollout_id, r.window_start_at, r.variant, r.count, r.errors, r.latencies_us, r.latency_histogram);
      if (r.seal !== expected) {
        const reason = r.seal === null ? 'the row has no seal: it was inserted outside the daemon' : 'the seal does not match the row: it was inserted or edited outside the daemon, or sealed with another key';
        return { ok: false, rows: rows.length, checked: true, forged: { id: r.id, rolloutId: r.rollout_id, windowStartAt: r.window_start_at, variant: r.variant, count: r.count, reason } };
      }
    }
    return { ok: true, rows: rows.length, checked: true };
  }

  /** Writes rows in one transaction (one fsync). Throws SLUICE_E_JOURNAL; nothing is written then. */
  write(rows: readonly JournalRow[]): void {
    if (rows.length === 0) return;
    if (this.#readOnly) throw new SluiceError('SLUICE_E_LOG_READ_ONLY', 'the ingest journal is open read-only; samples are refused');
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

  #seal(id: number, rolloutId: string, windowStartAt: number, variant: string, count: number, errors: number, latencies: Buffer | null, histogram: string | null): string | null {
    return this.#key ? sealOf(this.#key, id, rolloutId, windowStartAt, variant, count, errors, latencies, histogram) : null;
  }

  /**
   * A log that becomes keyed (the daemon now runs with --chain-key-file) has journal rows sealed with the journal key
   * file: each one that verifies under that key is sealed again under the chain key, in one transaction. A row that
   * does not verify keeps its seal and is refused as forged, as before.
   */
  #resealFrom(previousKey: Buffer): void {
    if (!this.#key) return;
    const rows = this.#db.prepare('SELECT id, rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram, seal FROM sluice_daemon_ingest_journal').all() as {
      id: number; rollout_id: string; window_start_at: number; variant: string; count: number; errors: number; latencies_us: Buffer | null; latency_histogram: string | null; seal: string | null;
    }[];
    const update = this.#db.prepare('UPDATE sluice_daemon_ingest_journal SET seal = ? WHERE id = ?');
    this.#db.transaction(() => {
      for (const r of rows) {
        if (r.seal !== sealOf(previousKey, r.id, r.rollout_id, r.window_start_at, r.variant, r.count, r.errors, r.latencies_us, r.latency_histogram)) continue;
        update.run(this.#seal(r.id, r.rollout_id, r.window_start_at, r.variant, r.count, r.errors, r.latencies_us, r.latency_histogram), r.id);
      }
    }).immediate();
  }

  /** A journal from before sealing gets its column, and its rows (written by the daemon before the upgrade) seals. */
  #addSealColumn(): void {
    const columns = this.#db.prepare('PRAGMA table_info(sluice_daemon_ingest_journal)').all() as { name: string }[];
    if (columns.some((c) => c.name === 'seal')) return;
    this.#db.transaction(() => {
      this.#db.exec('ALTER TABLE sluice_daemon_ingest_journal ADD COLUMN seal TEXT');
      const rows = this.#db.prepare('SELECT id, rollout_id, window_start_at, variant, count, errors, latencies_us, latency_histogram FROM sluice_daemon_ingest_journal').all() as {
        id: number; rollout_id: string; window_start_at: number; variant: string; count: number; errors: number; latencies_us: Buffer | null; latency_histogram: string | null;
      }[];
      const update = this.#db.prepare('UPDATE sluice_daemon_ingest_journal SET seal = ? WHERE id = ?');
      for (const r of rows) update.run(this.#seal(r.id, r.rollout_id, r.window_start_at, r.variant, r.count, r.errors, r.latencies_us, r.latency_histogram), r.id);
    }).immediate();
  }
}

function sealOf(key: Buffer, id: number, rolloutId: string, windowStartAt: number, variant: string, count: number, errors: number, latencies: Buffer | null, histogram: string | null): string {
  const latenciesDigest = latencies ? sha256('sha256', latencies, 'hex') : '-';
  return createHmac('sha256', key).update(`journal:${id}:${JSON.stringify(rolloutId)}:${windowStartAt}:${variant}:${count}:${errors}:${latenciesDigest}:${histogram ?? '-'}`).digest('hex');
}

/** The journal key of an unkeyed log: read from `<db>.journal-key`, created (0600, atomically) by a writer. */
function journalKey(file: string, readOnly: boolean): Buffer | undefined {
  const keyFile = journalKeyFileOf(file);
  if (existsSync(keyFile)) return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
  if (readOnly) return undefined;
  writeFileSync(`${keyFile}.tmp`, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  renameSync(`${keyFile}.tmp`, keyFile);
  return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
}
