import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { closeSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import type { ChainKey } from './logChain.js';
import { migrate } from './migrations.js';

/**
 * What a file must be before EventLog uses it as a log: its shape checked before SQLite opens it, its pragmas, a new
 * log created whole, what opening threw turned into a coded error, and the chain key it is keyed with.
 */

/** How long a writer waits for another process's lock before SQLITE_BUSY, ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/** How a log's chain is keyed, from its chain_meta table. */
export interface ChainInfo {
  /** Id of the key rows are sealed with from `keyedSinceSeq` on; undefined for an unkeyed log. */
  keyId?: string;
  /** First sequence number linked with the key. */
  keyedSinceSeq?: number;
}

/** Page size of a log file created by this build (SQLite's default is 4 KB). */
const NEW_LOG_PAGE_BYTES = 8_192;
/** WAL size at which SQLite folds it back into the database. */
const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * Every pragma is set explicitly rather than trusting build defaults:
 * - journal_mode=WAL: readers (verify, replay, `sluice status`) never block the writer, and one fsync per commit.
 * - synchronous=FULL: in WAL mode, NORMAL may lose the last commits on power loss. The daemon acknowledges a sample
 *   batch only once it is durable, so every commit must be on disk when `append`/`transaction` returns.
 * - foreign_keys=ON: no foreign keys today; set so a future migration adding one is enforced.
 * - busy_timeout: wait for another process's write lock (e.g. a CLI appending a command) instead of failing at once.
 * - trusted_schema=OFF: triggers and views in a file we open cannot call application functions.
 * - page_size (new files only): 8 KB. A window's row is ~2.4 KB (two histograms of ~1,000 and ~10 samples, plain V2):
 *   4 KB pages held one such row each and left 1.5 KB of every page empty (a third of the file); 8 KB pages hold
 *   three (issue 12, docs/log.md). A file keeps the page size it was created with.
 * - wal_autocheckpoint: bounds the WAL to ~4 MB (WAL_CHECKPOINT_BYTES) before it is folded back into the database.
 * - cache_size: 16 MB page cache, enough for hot rollouts' indexes; temp_store=MEMORY for sorting (listRollouts).
 * - query_only on read-only handles, as a second guard.
 */
export function configure(db: SqliteDatabase, readonly: boolean): void {
  if (!readonly) {
    // Before anything is written: a new file gets NEW_LOG_PAGE_BYTES pages; an existing file keeps its own.
    db.pragma(`page_size = ${NEW_LOG_PAGE_BYTES}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    // An in-memory database (`:memory:`, for tests) has no file to put a WAL beside; anything else must be WAL.
    const expected = db.memory ? 'memory' : 'wal';
    if (mode !== expected) throw new Error(`journal_mode WAL was refused (got ${String(mode)}); is the file on a network filesystem?`);
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('trusted_schema = OFF');
  db.pragma(`wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / (db.pragma('page_size', { simple: true }) as number))}`);
  db.pragma('cache_size = -16000');
  db.pragma('temp_store = MEMORY');
  if (readonly) db.pragma('query_only = ON');
}

/** The SQLite header's first 16 bytes. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * What can be told of a file before SQLite opens it: empty (a 0-byte file is never a log Sluice wrote, since new logs
 * are created whole), not a SQLite file, or shorter than its header says (truncated). Cheap: reads 100 bytes.
 */
export function checkFileShape(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // no file: a writer creates it; a reader was refused before
  }
  if (size === 0) {
    throw new SluiceError('SLUICE_E_LOG_CORRUPT', `${file} is empty (0 bytes): not a Sluice event log — Sluice creates new logs whole, so this file was emptied or made by something else; restore it from a backup, or remove it to start a new log`);
  }
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw new SluiceError('SLUICE_E_LOG_CORRUPT', `${file} is not a SQLite database (${read < 100 ? `only ${read} bytes` : 'its first bytes are not the SQLite header'}): not a Sluice event log, or a damaged one — check the --db path, or restore the file from a backup`);
  }
  const pageSizeField = header.readUInt16BE(16);
  const pageSize = pageSizeField === 1 ? 65_536 : pageSizeField;
  const pages = header.readUInt32BE(28);
  // The in-header size is valid only when the change counter equals "version valid for" (SQLite file format, 1.3.7).
  const sizeValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (sizeValid && pages > 0 && size < pages * pageSize) {
    throw new SluiceError('SLUICE_E_LOG_CORRUPT', `${file} is truncated: its header says ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes) but the file has ${size} — restore it from a backup; \`sluice verify --db\` reads what is left`);
  }
}

/** Creates a new log under a temporary name and renames it into place, so a crash never leaves a half-made file. */
export function createLogFile(file: string): void {
  const temporary = `${file}.creating-${process.pid}`;
  rmSync(temporary, { force: true });
  const db = new Database(temporary, { timeout: BUSY_TIMEOUT_MS });
  try {
    configure(db, false);
    migrate(db, file);
  } finally {
    db.close();
  }
  renameSync(temporary, file);
}

/** Turns what opening threw into a coded error: damaged files are SLUICE_E_LOG_CORRUPT, never a stack trace. */
export function openError(file: string, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new SluiceError('SLUICE_E_LOG_CORRUPT', `${file} is damaged: ${(error as Error).message} (${code}) — restore it from a backup; \`sluice verify --db\` tells what is left`, { cause: error });
  }
  return new SluiceError('SLUICE_E_LOG_SCHEMA', `cannot open event log ${file}: ${(error as Error).message}`, { cause: error });
}

export function readChainInfo(db: SqliteDatabase): ChainInfo {
  const rows = db.prepare("SELECT name, value FROM chain_meta WHERE name IN ('key_id', 'keyed_since_seq')").all() as { name: string; value: string }[];
  const info: ChainInfo = {};
  for (const { name, value } of rows) {
    if (name === 'key_id') info.keyId = value;
    else info.keyedSinceSeq = Number(value);
  }
  return info;
}

/**
 * A writer's key against the log's: the same key, or none on an unkeyed log, is fine; a key on an unkeyed log keys
 * every row from the next one on (recorded, so readers know where HMAC starts); no key or another key on a keyed log
 * is refused before anything is written.
 */
export function applyChainKey(db: SqliteDatabase, file: string, key: ChainKey | undefined): void {
  const info = readChainInfo(db);
  if (info.keyId !== undefined) {
    if (!key) throw new SluiceError('SLUICE_E_CHAIN_KEY', `${file} is a keyed log (key id ${info.keyId}): open it for writing with its chain key (--chain-key-file)`);
    if (key.id !== info.keyId) throw new SluiceError('SLUICE_E_CHAIN_KEY', `${file} is keyed with key id ${info.keyId}, but the chain key given has id ${key.id}: wrong key file`);
    return;
  }
  if (!key) return;
  db.transaction(() => {
    const last = db.prepare('SELECT max(seq) AS seq FROM events').get() as { seq: number | null };
    const insert = db.prepare('INSERT INTO chain_meta (name, value) VALUES (?, ?)');
    insert.run('key_id', key.id);
    insert.run('keyed_since_seq', String((last.seq ?? 0) + 1));
  }).immediate();
}

/** A reader given a key checks it is the log's, so that verify does not report every seal as forged for a wrong file. */
export function checkReaderKey(db: SqliteDatabase, file: string, schemaVersion: number, key: ChainKey | undefined): void {
  if (!key || schemaVersion < 2) return;
  const info = readChainInfo(db);
  if (info.keyId !== undefined && key.id !== info.keyId) {
    throw new SluiceError('SLUICE_E_CHAIN_KEY', `${file} is keyed with key id ${info.keyId}, but the chain key given has id ${key.id}: wrong key file`);
  }
}
