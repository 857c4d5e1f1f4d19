import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement, Transaction } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { AppendConflictError, EventInvalidError, SluiceError } from '../errors.js';
import { EVENT_VERSIONS, type AnyStoredEvent, type NewEvent, type RecordedEvent } from '../events/eventTypes.js';
import type { EventUpgraders } from '../events/upgrade.js';
import { eventHash, GENESIS_HASH } from './eventHash.js';
import { checkRolloutId, decodeEventRow, decodeRecordedRow, prepareNewEvent, type EventRow, type RecordedRow } from './eventRow.js';
import { chainLink, checkpointSeal, GENESIS_LINK, headSeal, type ChainHead, type ChainKey } from './logChain.js';
import { applyChainKey, BUSY_TIMEOUT_MS, checkFileShape, checkReaderKey, configure, createLogFile, openError, readChainInfo, type ChainInfo } from './logFile.js';
import { checkSchema, migrate, SCHEMA_VERSION } from './migrations.js';
import { RolloutLifecycleQueries, type RolloutCounts, type RolloutEnd, type RolloutLifecycle } from './rolloutLifecycle.js';
import { WriterLock } from './writerLock.js';

export { BUSY_TIMEOUT_MS, type ChainInfo } from './logFile.js';

export interface EventLogOptions {
  /** Open for reading only (verify, replay, audits); the file must exist and be at the current schema. Default false. */
  readonly?: boolean;
  /** Upgraders for old event versions; default EVENT_UPGRADERS. Tests pass synthetic ones. */
  upgraders?: EventUpgraders;
  /**
   * Key of the keyed chain (logChain.ts). A writer given a key on an unkeyed log keys every row from now on; a keyed
   * log refuses writers without its key, or with another one (SLUICE_E_CHAIN_KEY). Readers use it to check the seals.
   */
  chainKey?: ChainKey;
  /** Who writes, for the writer lock's refusal message (`sluice daemon`); default from the process arguments. */
  writer?: string;
}

/** A verification checkpoint: every row up to `seq` was verified, and the row at `seq` had this link. */
export interface ChainCheckpoint {
  seq: number;
  link: string;
  at: number;
  seal: string | null;
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

/**
 * The append-only event log: one SQLite file, one `events` table (migrations.ts), every rollout's events chained by
 * SHA-256 (eventHash.ts). All methods are synchronous: better-sqlite3 is, and the daemon batches appends with
 * `transaction` (group commit) so one fsync covers many events.
 */
export class EventLog {
  readonly file: string;
  readonly readonly: boolean;
  /** Schema version of the file: read-only handles also read schema-1 logs (no log-wide chain), to verify them. */
  readonly schemaVersion: number;
  /** The writer lock, held while a writable log is open (null for read-only and in-memory logs). */
  readonly writerLock: WriterLock | null;
  private readonly db: SqliteDatabase;
  private readonly chainKey: ChainKey | undefined;
  private chain: ChainInfo;
  private readonly lastRowStatement: Statement<[], { seq: number; link: string | null }>;
  /**
   * The last row's sequence and link as this writer last appended them, so an append does not query them: the writer
   * lock guarantees nobody else appends. Forgotten whenever an append or a transaction throws, since a rollback may
   * have taken those rows back.
   */
  private lastRow: { seq: number; link: string } | undefined;
  /**
   * Heads of the rollouts appended to inside the current `transaction`, written once when its outermost level ends: a
   * group commit appends many batches per rollout, and one head write per rollout instead of one per batch keeps the
   * cost of the heads out of the append path.
   */
  private pendingHeads = new Map<string, ChainHead>();
  private transactionDepth = 0;
  private readonly upsertHeadStatement: Statement<unknown[]>;
  private readonly upgraders: EventUpgraders | undefined;
  private readonly headStatement: Statement<[string], { position: number; hash: string }>;
  private readonly insertStatement: Statement<unknown[]>;
  private readonly pageStatement: Statement<[string, number, number], EventRow>;
  private readonly pageAllStatement: Statement<[number, number], EventRow>;
  private readonly recordedPageStatement: Statement<[string, number, number], RecordedRow>;
  private readonly lifecycle: RolloutLifecycleQueries;
  private readonly appendTransaction: Transaction<(rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]) => AnyStoredEvent[]>;

  private constructor(file: string, db: SqliteDatabase, options: EventLogOptions, schemaVersion: number, writerLock: WriterLock | null) {
    this.file = file;
    this.db = db;
    this.readonly = options.readonly ?? false;
    this.upgraders = options.upgraders;
    this.schemaVersion = schemaVersion;
    this.writerLock = writerLock;
    this.chainKey = options.chainKey;
    this.chain = schemaVersion >= 2 ? readChainInfo(db) : {};
    this.lastRowStatement = db.prepare('SELECT seq, ' + (schemaVersion >= 2 ? 'link' : 'NULL AS link') + ' FROM events ORDER BY seq DESC LIMIT 1');
    this.upsertHeadStatement = this.readonly
      ? db.prepare('SELECT 1')
      : db.prepare(
          `INSERT INTO chain_heads (rollout_id, position, hash, seq, link, seal) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (rollout_id) DO UPDATE SET position = excluded.position, hash = excluded.hash, seq = excluded.seq, link = excluded.link, seal = excluded.seal`,
        );
    this.headStatement = db.prepare('SELECT position, hash FROM events WHERE rollout_id = ? ORDER BY position DESC LIMIT 1');
    this.insertStatement = this.readonly
      ? db.prepare('SELECT 1') // never run: a read-only handle refuses appends before reaching SQLite
      : db.prepare('INSERT INTO events (seq, rollout_id, position, type, version, at, data, prev_hash, hash, link) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.pageStatement = db.prepare('SELECT * FROM events WHERE rollout_id = ? AND position >= ? ORDER BY position LIMIT ?');
    this.pageAllStatement = db.prepare('SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT ?');
    this.recordedPageStatement = db
      .prepare<[string, number, number], RecordedRow>('SELECT position, type, version, at, data FROM events WHERE rollout_id = ? AND position >= ? ORDER BY position LIMIT ?')
      .raw(true);
    this.lifecycle = new RolloutLifecycleQueries(db);
    this.appendTransaction = db.transaction((rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]) =>
      this.appendPrepared(rolloutId, expectedPosition, prepared),
    );
  }

  /**
   * Opens (and creates and migrates, unless read-only) the log at `file`. A writer takes the writer lock first
   * (writerLock.ts: one writer per log, SLUICE_E_LOG_LOCKED naming the holder). A new log is created whole under a
   * temporary name and renamed, so a crash never leaves an empty file behind; an existing empty, truncated or damaged
   * file is SLUICE_E_LOG_CORRUPT, never silently a new log.
   */
  static open(file: string, options: EventLogOptions = {}): EventLog {
    const readonly = options.readonly ?? false;
    const memory = file === ':memory:' || file === '';
    if (readonly && !existsSync(file)) {
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `no event log at ${file}: the file does not exist — check the --db path`);
    }
    if (!memory) checkFileShape(file);
    const lock = readonly || memory ? null : WriterLock.acquire(file, options.writer);
    let db: SqliteDatabase | undefined;
    try {
      if (lock && !existsSync(file)) createLogFile(file);
      db = new Database(file, { readonly, fileMustExist: readonly || !memory, timeout: BUSY_TIMEOUT_MS });
      configure(db, readonly);
      const schemaVersion = readonly ? checkSchema(db, file, 1) : (migrate(db, file), SCHEMA_VERSION);
      if (!readonly) applyChainKey(db, file, options.chainKey);
      else checkReaderKey(db, file, schemaVersion, options.chainKey);
      return new EventLog(file, db, options, schemaVersion, lock);
    } catch (error) {
      db?.close();
      lock?.release();
      throw openError(file, error);
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
    try {
      return this.appendTransaction.immediate(rolloutId, expectedPosition, prepared);
    } catch (error) {
      this.lastRow = undefined;
      throw error;
    }
  }

  /** The body of `append`, prepared once: better-sqlite3 wraps it in BEGIN IMMEDIATE, or a savepoint when nested. */
  private appendPrepared(rolloutId: string, expectedPosition: number, prepared: readonly PreparedEvent[]): AnyStoredEvent[] {
    const head = this.headStatement.get(rolloutId);
    const actual = head ? head.position + 1 : 0;
    if (actual !== expectedPosition) throw new AppendConflictError(rolloutId, expectedPosition, actual);
    let prevHash = head ? head.hash : GENESIS_HASH;
    // The log-wide chain continues from the last row of the log: sequence numbers are given explicitly (the last one
    // plus one) because each row's link covers its own sequence number.
    const last = this.lastRow ?? this.lastRowStatement.get();
    let seq = last ? last.seq : 0;
    let link = last ? (last.link ?? GENESIS_LINK) : GENESIS_LINK;
    const key = this.chainKey;
    const stored: AnyStoredEvent[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const { event, dataJson } = prepared[i]!;
      const position = expectedPosition + i;
      const version = EVENT_VERSIONS[event.type];
      const hash = eventHash(prevHash, { rolloutId, position, type: event.type, version, at: event.at, dataJson });
      seq++;
      link = chainLink(link, seq, hash, key);
      this.insertStatement.run(seq, rolloutId, position, event.type, version, event.at, dataJson, prevHash, hash, link);
      // The data object is the caller's: stored events share it rather than re-parsing what was just serialised.
      const storedEvent = { seq, rolloutId, position, type: event.type, version, at: event.at, data: event.data, hash };
      stored.push(storedEvent as AnyStoredEvent);
      prevHash = hash;
    }
    if (stored.length > 0) {
      this.lastRow = { seq, link };
      const newHead: ChainHead = { rolloutId, position: expectedPosition + stored.length - 1, hash: prevHash, seq, link };
      if (this.transactionDepth > 0) this.pendingHeads.set(rolloutId, newHead);
      else this.writeHead(newHead);
    }
    return stored;
  }

  /**
   * Runs `fn` in one durable commit: the daemon's group commit appends many batches, of many rollouts, and fsyncs once.
   * Nests (inner calls become savepoints); if `fn` throws, everything it appended is rolled back.
   */
  transaction<T>(fn: () => T): T {
    // A nested level that throws is rolled back alone (a savepoint): the heads it deferred must go with it.
    const saved = this.transactionDepth > 0 ? new Map(this.pendingHeads) : undefined;
    try {
      return this.db
        .transaction(() => {
          this.transactionDepth++;
          try {
            const result = fn();
            if (this.transactionDepth === 1) this.flushHeads();
            return result;
          } finally {
            this.transactionDepth--;
          }
        })
        .immediate();
    } catch (error) {
      this.lastRow = undefined;
      if (saved) this.pendingHeads = saved;
      else this.pendingHeads.clear();
      throw error;
    }
  }

  private flushHeads(): void {
    for (const head of this.pendingHeads.values()) this.writeHead(head);
    this.pendingHeads.clear();
  }

  private writeHead(head: ChainHead): void {
    this.upsertHeadStatement.run(head.rolloutId, head.position, head.hash, head.seq, head.link, headSeal(head, this.chainKey));
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

  /** The last row of the log and its link: the log's head, which an outside system can hold. Null when empty. */
  logHead(): { seq: number; link: string | null } | null {
    return this.lastRowStatement.get() ?? null;
  }

  /** A rollout's head as the heads table holds it (schema ≥ 2), or null. @internal */
  storedHead(rolloutId: string): (ChainHead & { seal: string | null }) | null {
    if (this.schemaVersion < 2) return null;
    const row = this.db.prepare('SELECT rollout_id AS rolloutId, position, hash, seq, link, seal FROM chain_heads WHERE rollout_id = ?').get(rolloutId);
    return (row as (ChainHead & { seal: string | null }) | undefined) ?? null;
  }

  /** Every stored head (schema ≥ 2). @internal */
  storedHeads(): (ChainHead & { seal: string | null })[] {
    if (this.schemaVersion < 2) return [];
    return this.db.prepare('SELECT rollout_id AS rolloutId, position, hash, seq, link, seal FROM chain_heads ORDER BY seq').all() as (ChainHead & { seal: string | null })[];
  }

  /** The stored row at `seq`, unvalidated, or undefined. @internal */
  rowAt(seq: number): EventRow | undefined {
    return this.db.prepare('SELECT * FROM events WHERE seq = ?').get(seq) as EventRow | undefined;
  }

  /** The stored row of a rollout at a position, unvalidated, or undefined. @internal */
  rowOf(rolloutId: string, position: number): EventRow | undefined {
    return this.db.prepare('SELECT * FROM events WHERE rollout_id = ? AND position = ?').get(rolloutId, position) as EventRow | undefined;
  }

  /**
   * SQLite's structural check of the whole file (`PRAGMA quick_check`): undefined when sound, else its first finding
   * (the damaged page). O(file size); `sluice verify` runs it, the daemon's start does not.
   */
  quickCheck(): string | undefined {
    try {
      const rows = this.db.pragma('quick_check(5)') as { quick_check: string }[];
      const findings = rows.map((row) => row.quick_check).filter((finding) => finding !== 'ok');
      return findings.length === 0 ? undefined : findings.join('; ');
    } catch (error) {
      return `${(error as Error).message} (${(error as { code?: string }).code ?? 'error'})`;
    }
  }

  /** How the chain is keyed (empty for an unkeyed log). */
  chainInfo(): ChainInfo {
    return { ...this.chain };
  }

  /** The key this handle was opened with, if any. @internal */
  get key(): ChainKey | undefined {
    return this.chainKey;
  }

  /** The latest verification checkpoint, or null. */
  lastCheckpoint(): ChainCheckpoint | null {
    if (this.schemaVersion < 2) return null;
    return (this.db.prepare('SELECT seq, link, at, seal FROM chain_checkpoints ORDER BY seq DESC LIMIT 1').get() as ChainCheckpoint | undefined) ?? null;
  }

  /**
   * Records that every row up to `seq` was verified (the daemon, after verifying the whole log): the next start
   * verifies only the rows after it before it is ready. A checkpoint not beyond the latest one is not written.
   */
  writeCheckpoint(seq: number, link: string, at: number): void {
    this.assertWritable();
    const latest = this.lastCheckpoint();
    if (latest && latest.seq >= seq) return;
    this.db.prepare('INSERT INTO chain_checkpoints (seq, link, at, seal) VALUES (?, ?, ?, ?)').run(seq, link, at, checkpointSeal(seq, link, this.chainKey));
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

  /**
   * Every rollout in creation order with its end, if it ended — one query on the lifecycle index (schema 3), without
   * reading any rollout's events: how a daemon finds its active rollouts among thousands of ended ones.
   */
  rolloutLifecycles(): RolloutLifecycle[] {
    return this.lifecycle.all();
  }

  /**
   * Ended rollouts, most recently ended first: at most `limit` (≤ ENDED_PAGE_MAX) of those whose end has a sequence
   * number below `beforeSeq` (paging: pass the last one's `seq`). Reads the lifecycle index only.
   */
  endedRollouts(page: { limit: number; beforeSeq?: number }): RolloutEnd[] {
    return this.lifecycle.ended(page.beforeSeq ?? Number.MAX_SAFE_INTEGER, page.limit);
  }

  /** How many rollouts the log holds and how many ended each way, from the lifecycle index (for /metrics). */
  rolloutCounts(): RolloutCounts {
    return this.lifecycle.counts();
  }

  /** The event at `position` of a rollout, validated and upgraded like `read`, or undefined when there is none. */
  eventAt(rolloutId: string, position: number): AnyStoredEvent | undefined {
    const row = this.rowOf(rolloutId, position);
    return row === undefined ? undefined : decodeEventRow(row, this.upgraders);
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.writerLock?.release();
  }

  private assertWritable(): void {
    if (this.readonly) throw new SluiceError('SLUICE_E_LOG_READ_ONLY', `event log ${this.file} is open read-only; appends are refused`);
  }
}
