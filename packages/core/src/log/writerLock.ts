import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SluiceError } from '../errors.js';

/**
 * One writer per log file. Two writers on one log each append a copy of every window and judge it on half the samples,
 * so every process that opens a log for writing (the daemon, `sluice simulate --db`, `sluice demo`) first takes this
 * lock and keeps it until it closes the log; readers (verify, replay, audit, `status --db`, report) never take it.
 *
 * The mechanism, chosen deliberately:
 * - Not `PRAGMA locking_mode = EXCLUSIVE` on the log: in WAL mode it keeps every other connection out, readers too.
 * - Not a pid file alone: after `kill -9` it stays behind, and telling a stale file from a live writer needs guesswork
 *   (is that pid still ours? on this host?).
 * - An OS lock that the kernel drops when the process dies, however it dies: SQLite's own POSIX advisory lock on a
 *   side file `<log>.lock`, held by an open `BEGIN IMMEDIATE` transaction (a RESERVED lock) for the writer's lifetime.
 *   better-sqlite3 is already a dependency, so no native addon is added (fs-ext would be one, with a compile step).
 *   SQLite also keeps two connections of one process apart, so a second writer in the same process is refused too.
 * Who holds the lock is written by the holder to `<log>.lock.json` (pid, host, command, address once listening): it is
 * read only to explain a refusal and is never trusted to decide anything — the OS lock alone decides.
 * Like every POSIX lock it is not reliable on network filesystems; the log itself needs a local disk for WAL anyway.
 */
export interface WriterIdentity {
  pid: number;
  host: string;
  /** What holds it: `sluice daemon`, `sluice simulate`, a test… */
  command: string;
  startedAt: string;
  /** The daemon's HTTP address, once it listens. */
  address?: string;
}

export class LogLockedError extends SluiceError {
  readonly file: string;
  readonly holder: WriterIdentity | undefined;
  constructor(file: string, holder: WriterIdentity | undefined) {
    super('SLUICE_E_LOG_LOCKED', `${file} is already open for writing by ${describeHolder(holder)}; one writer per log — stop that process, or use a read-only command (verify, replay, audit, status --db, events --db), or give this one another --db`);
    this.name = 'LogLockedError';
    this.file = file;
    this.holder = holder;
  }
}

export function describeHolder(holder: WriterIdentity | undefined): string {
  if (!holder) return 'another process (it has not said which yet; run the command again in a moment to see its pid)';
  const address = holder.address ? ` listening on ${holder.address}` : '';
  return `${holder.command} (pid ${holder.pid} on ${holder.host}${address}, since ${holder.startedAt})`;
}

export function lockFileOf(logFile: string): string {
  return `${logFile}.lock`;
}

export function holderFileOf(logFile: string): string {
  return `${logFile}.lock.json`;
}

/** Who holds the writer lock of `logFile` according to its holder file; undefined when unknown. Never decides anything. */
export function readWriterHolder(logFile: string): WriterIdentity | undefined {
  try {
    const value = JSON.parse(readFileSync(holderFileOf(logFile), 'utf8')) as WriterIdentity;
    return typeof value.pid === 'number' && typeof value.command === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export class WriterLock {
  readonly logFile: string;
  #db: SqliteDatabase | undefined;
  #identity: WriterIdentity;

  private constructor(logFile: string, db: SqliteDatabase, identity: WriterIdentity) {
    this.logFile = logFile;
    this.#db = db;
    this.#identity = identity;
  }

  /**
   * Takes the writer lock of `logFile` at once, or throws LogLockedError naming the holder. Never waits: a second
   * daemon must fail its start, not queue behind the first one.
   */
  static acquire(logFile: string, command = defaultCommand()): WriterLock {
    let db: SqliteDatabase;
    try {
      db = new Database(lockFileOf(logFile), { timeout: 0 });
      db.pragma('busy_timeout = 0');
    } catch (error) {
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `cannot open the writer lock ${lockFileOf(logFile)}: ${(error as Error).message} — the directory of the log must be writable`, { cause: error });
    }
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new LogLockedError(logFile, readWriterHolder(logFile));
      throw new SluiceError('SLUICE_E_LOG_SCHEMA', `cannot take the writer lock ${lockFileOf(logFile)}: ${(error as Error).message}`, { cause: error });
    }
    const lock = new WriterLock(logFile, db, { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() });
    lock.#writeHolder();
    return lock;
  }

  get identity(): WriterIdentity {
    return { ...this.#identity };
  }

  get held(): boolean {
    return this.#db !== undefined;
  }

  /** Records the address the holder listens on, so a refused second daemon can say where the first one is. */
  setAddress(address: string): void {
    this.#identity = { ...this.#identity, address };
    this.#writeHolder();
  }

  release(): void {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    // Remove our holder file first, while we still hold the lock: nobody else may have written theirs yet.
    if (readWriterHolder(this.logFile)?.pid === process.pid) rmSync(holderFileOf(this.logFile), { force: true });
    try {
      db.exec('ROLLBACK');
    } finally {
      db.close();
    }
  }

  #writeHolder(): void {
    // Written only by the holder, replaced atomically so a reader never sees half a file. Best effort: the lock works
    // without it, only the refusal message would be less precise.
    const target = holderFileOf(this.logFile);
    try {
      writeFileSync(`${target}.tmp`, `${JSON.stringify(this.#identity)}\n`, { mode: 0o600 });
      renameSync(`${target}.tmp`, target);
    } catch {
      /* the message of a refused writer says "another process" instead */
    }
  }
}

function defaultCommand(): string {
  const args = process.argv.slice(2).filter((arg) => !arg.startsWith('-')).slice(0, 1);
  return args[0] ? `sluice ${args[0]}` : 'a Sluice process';
}
