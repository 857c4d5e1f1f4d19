import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../events/eventTypes.js';
import { MIGRATIONS, SLUICE_APPLICATION_ID } from './migrations.js';

/** Test helpers for the log (not exported from the package). */

/** A fresh directory for a test's log files; `cleanup` removes it. */
export function temporaryDirectory(prefix = 'sluice-log-'): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name = 'events.db') => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid input event at `at`. */
export function healthEvent(at: number, ok = true): NewEvent {
  return { type: 'health.checked', at, data: { ok, target: 'http://candidate/healthz', detail: ok ? '200' : '503' } };
}

/** A valid decision event at `at`. */
export function pausedEvent(at: number, reason = 'operator'): NewEvent {
  return { type: 'paused', at, data: { reason } };
}

/**
 * Creates an empty log at schema version 1 — the layout before the log-wide chain — so that tests can insert rows
 * "as an earlier build wrote them" and then let `EventLog.open` migrate them, as it does for a user's old log.
 */
export function createSchemaOneLog(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS[0]!.sql);
    db.pragma('user_version = 1');
    db.pragma(`application_id = ${SLUICE_APPLICATION_ID}`);
  } finally {
    db.close();
  }
}
