import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement, Transaction } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { AppendConflictError, EventInvalidError, SluiceError } from '../errors.js';
import { EVENT_VERSIONS, type AnyStoredEvent, type NewEvent, type RecordedEvent } from '../events/eventTypes.js';
import type { EventUpgraders } from '../events/upgrade.js';
import { eventHash, GENESIS_HASH } from './eventHash.js';
import { checkRolloutId, decodeEventRow, decodeRecordedRow, prepareNewEvent, type EventRow, type RecordedRow } from './eventRow.js';
import { checkSchema, migrate } from './migrations.js';

export interface EventLogOptions {
  /** Open for reading only (verify, replay, audits); the file must exist and be at the current schema. Default false. */
  readonly?: boolean;
  /** Upgraders for old event versions; default EVENT_UPGRADERS. Tests pass synthetic ones. */
  upgraders?: EventUpgraders;
}

export interface RolloutSummary {
  rolloutId: string;
  events: number;
  firstAt: number;
  lastAt: number;
}

interface PreparedEvent {
  event: NewEvent;
  /** Canonical JSON of the data: stored and hashed as is. */
  dataJson: string;
}

/** Rows fetched per query while streaming; bounds a reader's memory whatever the rollout's length. */
export const READ_PAGE_ROWS = 512;
/** How long a writer waits for another process's lock before SQLITE_BUSY, ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * The append-only event log: one SQLite file, one `events` table (migrations.ts), every rollout's events chained by
 * SHA-256 (eventHash.ts). All methods are synchronous: better-sqlite3 is, and the daemon batches appends with
 * `transaction` (group commit) so one fsync covers many events.
 */
export class EventLog {
  readonly file: string;
  readonly readonly: boolean;
  private readonly db: SqliteDatabase;
  private readonly upgraders: EventUpgraders | undefined;
  private readonly headStatement: Statement<[string], { position: number; hash: string }>;
  private readonly insertStatement: Statement<unknown[]>;
  private readonly pageStatement: Statement<[string, number, number], EventRow>;
  private readonly pageAllStatement: Statement<[number, number], EventRow>;
  private readonly recordedPageStatement: Statement<[string, number, number], RecordedRow>;
  private readonly appendTransaction: Transaction<(rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]) => AnyStoredEvent[]>;

  private constructor(file: string, db: SqliteDatabase, options: EventLogOptions) {
    this.file = file;
    this.db = db;
    this.readonly = options.readonly ?? false;
    this.upgraders = options.upgraders;
    this.headStatement = db.prepare('SELECT position, hash FROM events WHERE rollout_id = ? ORDER BY position DESC LIMIT 1');
    this.insertStatement = this.readonly
      ? db.prepare('SELECT 1') // never run: a read-only handle refuses appends before reaching SQLite
      : db.prepare('INSERT INTO events (rollout_id, position, type, version, at, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.pageStatement = db.prepare('SELECT * FROM events WHERE rollout_id = ? AND position >= ? ORDER BY position LIMIT ?');
    this.pageAllStatement = db.prepare('SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT ?');
    this.recordedPageStatement = db
      .prepare<[string, number, number], RecordedRow>('SELECT position, type, version, at, data FROM events WHERE rollout_id = ? AND position >= ? ORDER BY position LIMIT ?')
      .raw(true);
    this.appendTransaction = db.transaction((rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]) =>
      this.appendPrepared(rolloutId, expectedPosition, prepared),
    );
  }

  /** Opens (and creates and migrates, unless read-only) the log at `file`. */
  static open(file: string, options: EventLogOptions = {}): EventLog {
    const readonly = options.readonly ?? false;
    if (readonly && !existsSync(file)) {
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `no event log at ${file}: the file does not exist — check the --db path`);
    }
    let db: SqliteDatabase;
    try {
      db = new Database(file, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `cannot open event log ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      configure(db, readonly);
      if (readonly) checkSchema(db, file);
      else migrate(db, file);
      return new EventLog(file, db, options);
    } catch (error) {
      db.close();
      if (error instanceof SluiceError) throw error;
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `cannot open event log ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Appends `events` to a rollout that has exactly `expectedPosition` events, in one transaction (a savepoint when
   * called inside `transaction`). Every event is validated before anything is written.
   * @throws AppendConflictError when the rollout has another number of events (another writer got there first).
   * @throws EventInvalidError naming the rollout, type and field of the first invalid event.
   */
  append(rolloutId: string, expectedPosition: number, events: readonly NewEvent[]): AnyStoredEvent[] {
    this.assertWritable();
    checkRolloutId(rolloutId);
    if (!Number.isSafeInteger(expectedPosition) || expectedPosition < 0) {
      throw new EventInvalidError({ rolloutId, field: 'expectedPosition' }, `must be a non-negative integer, got ${expectedPosition}`);
    }
    const prepared = events.map((event) => ({ event, dataJson: prepareNewEvent(rolloutId, event) }));
    return this.appendTransaction.immediate(rolloutId, expectedPosition, prepared);
  }

  /** The body of `append`, prepared once: better-sqlite3 wraps it in BEGIN IMMEDIATE, or a savepoint when nested. */
  private appendPrepared(rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]): AnyStoredEvent[] {
    const head = this.headStatement.get(rolloutId);
    const actual = head ? head.position + 1 : 0;
    if (actual !== expectedPosition) throw new AppendConflictError(rolloutId, expectedPosition, actual);
    let prevHash = head ? head.hash : GENESIS_HASH;
    const stored: AnyStoredEvent[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const { event, dataJson } = prepared[i]!;
      const position = expectedPosition + i;
      const version = EVENT_VERSIONS[event.type];
      const hash = eventHash(prevHash, { rolloutId, position, type: event.type, version, at: event.at, dataJson });
      const info = this.insertStatement.run(rolloutId, position, event.type, version, event.at, dataJson, prevHash, hash);
      // The data object is the caller's: stored events share it rather than re-parsing what was just serialised.
      const storedEvent = { seq: Number(info.lastInsertRowid), rolloutId, position, type: event.type, version, at: event.at, data: event.data, hash };
      stored.push(storedEvent as AnyStoredEvent);
      prevHash = hash;
    }
    return stored;
  }

  /**
   * Runs `fn` in one durable commit: the daemon's group commit appends many batches, of many rollouts, and fsyncs once.
   * Nests (inner calls become savepoints); if `fn` throws, everything it appended is rolled back.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Runs `fn` in one read transaction (deferred BEGIN, a savepoint when nested): every query inside sees the same
   * snapshot of the file even while another process appends. Works on read-only handles. verifyLog uses it.
   */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /**
   * Streams a rollout's events from `fromPosition`, validated and upgraded to the current version of their type.
   * Rows are fetched in pages of READ_PAGE_ROWS rather than with one open `.iterate()` cursor: better-sqlite3 locks the
   * whole connection while a cursor is open, which would block every append until the reader finished.
   * @throws EventInvalidError naming rollout and position of a malformed or unknown stored event.
   */
  *read(rolloutId: string, fromPosition = 0): IterableIterator<AnyStoredEvent> {
    let next = fromPosition;
    for (;;) {
      const rows = this.pageStatement.all(rolloutId, next, READ_PAGE_ROWS);
      for (const row of rows) yield decodeEventRow(row, this.upgraders);
      if (rows.length < READ_PAGE_ROWS) return;
      next = rows[rows.length - 1]!.position + 1;
    }
  }

  /**
   * Streams a rollout's events like `read`, validated and upgraded the same way, but without sequence number and hash:
   * replay and rebuilding a rollout fold and compare content only. Reading a row's two 64-character hashes and building
   * an object per row is about half the cost of reading the log, so this reads five columns as arrays.
   */
  *readRecorded(rolloutId: string, fromPosition = 0): IterableIterator<RecordedEvent> {
    let next = fromPosition;
    for (;;) {
      const rows = this.recordedPageStatement.all(rolloutId, next, READ_PAGE_ROWS);
      for (const row of rows) yield decodeRecordedRow(rolloutId, row, this.upgraders);
      if (rows.length < READ_PAGE_ROWS) return;
      next = rows[rows.length - 1]![0] + 1;
    }
  }

  /** Streams every event of every rollout in global sequence order, from `fromSeq` (inclusive; sequences start at 1). */
  *readAll(fromSeq = 0): IterableIterator<AnyStoredEvent> {
    for (const row of this.rows(fromSeq)) yield decodeEventRow(row, this.upgraders);
  }

  /**
   * Raw stored rows in sequence order, unvalidated — for verifyLog, which must see exactly what is on disk.
   * @internal
   */
  *rows(fromSeq = 0): IterableIterator<EventRow> {
    let next = fromSeq;
    for (;;) {
      const rows = this.pageAllStatement.all(next, READ_PAGE_ROWS);
      yield* rows;
      if (rows.length < READ_PAGE_ROWS) return;
      next = rows[rows.length - 1]!.seq + 1;
    }
  }

  /** The highest sequence number SQLite ever assigned (sqlite_sequence), 0 for an empty log. @internal */
  lastAssignedSeq(): number {
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** The position the next appended event of `rolloutId` will take (= its number of events). */
  nextPosition(rolloutId: string): number {
    const head = this.headStatement.get(rolloutId);
    return head ? head.position + 1 : 0;
  }

  /** The last event's position and hash, or null when the rollout has no events. */
  head(rolloutId: string): { position: number; hash: string } | null {
    const head = this.headStatement.get(rolloutId);
    return head ? { position: head.position, hash: head.hash } : null;
  }

  /** Every rollout in the log, in the order they were created. */
  listRollouts(): RolloutSummary[] {
    return this.db
      .prepare(
        `SELECT rollout_id AS rolloutId, count(*) AS events, min(at) AS firstAt, max(at) AS lastAt, min(seq) AS firstSeq
         FROM events GROUP BY rollout_id ORDER BY firstSeq`,
      )
      .all()
      .map((row) => {
        const { rolloutId, events, firstAt, lastAt } = row as RolloutSummary;
        return { rolloutId, events, firstAt, lastAt };
      });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private assertWritable(): void {
    if (this.readonly) throw new SluiceError('SLUICE_E_LOG_SCHEMA', `event log ${this.file} is open read-only; appends are refused`);
  }
}

/**
 * Every pragma is set explicitly rather than trusting build defaults:
 * - journal_mode=WAL: readers (verify, replay, `sluice status`) never block the writer, and one fsync per commit.
 * - synchronous=FULL: in WAL mode, NORMAL may lose the last commits on power loss. The daemon acknowledges a sample
 *   batch only once it is durable, so every commit must be on disk when `append`/`transaction` returns.
 * - foreign_keys=ON: no foreign keys today; set so a future migration adding one is enforced.
 * - busy_timeout: wait for another process's write lock (e.g. a CLI appending a command) instead of failing at once.
 * - trusted_schema=OFF: triggers and views in a file we open cannot call application functions.
 * - wal_autocheckpoint: bounds the WAL to ~1000 pages (~4 MB) before it is folded back into the database.
 * - cache_size: 16 MB page cache, enough for hot rollouts' indexes; temp_store=MEMORY for sorting (listRollouts).
 * - query_only on read-only handles, as a second guard.
 */
function configure(db: SqliteDatabase, readonly: boolean): void {
  if (!readonly) {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    // An in-memory database (`:memory:`, for tests) has no file to put a WAL beside; anything else must be WAL.
    const expected = db.memory ? 'memory' : 'wal';
    if (mode !== expected) throw new Error(`journal_mode WAL was refused (got ${String(mode)}); is the file on a network filesystem?`);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('trusted_schema = OFF');
  db.pragma('wal_autocheckpoint = 1000');
  db.pragma('cache_size = -16000');
  db.pragma('temp_store = MEMORY');
  if (readonly) db.pragma('query_only = ON');
}
