import type { Database } from 'better-sqlite3';
import { SluiceError } from '../errors.js';

/**
 * Versioned schema migrations of the event log. The version lives in SQLite's `user_version`; each migration runs
 * once, in order, inside one immediate transaction with the version bump, so a crash leaves either the old or the new
 * schema. Append a migration to change the schema; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Identifies a Sluice log file (`PRAGMA application_id`, ASCII "SLCE"), so we never migrate someone else's database. */
export const SLUICE_APPLICATION_ID = 0x534c4345;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events table, append-only triggers',
    sql: `
      CREATE TABLE events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        rollout_id TEXT    NOT NULL,
        position   INTEGER NOT NULL CHECK (position >= 0),
        type       TEXT    NOT NULL,
        version    INTEGER NOT NULL,
        at         INTEGER NOT NULL,
        data       TEXT    NOT NULL,
        prev_hash  TEXT    NOT NULL,
        hash       TEXT    NOT NULL,
        UNIQUE (rollout_id, position)
      ) STRICT;
      CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
      BEGIN
        SELECT RAISE(ABORT, 'sluice: the event log is append-only; UPDATE of events is refused');
      END;
      CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
      BEGIN
        SELECT RAISE(ABORT, 'sluice: the event log is append-only; DELETE from events is refused');
      END;
    `,
  },
];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Brings a writable database to SCHEMA_VERSION. */
export function migrate(db: Database, file: string): void {
  db.transaction(() => {
    const current = checkOwnership(db, file);
    if (current > SCHEMA_VERSION) throw newerSchemaError(file, current);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    db.pragma(`application_id = ${SLUICE_APPLICATION_ID}`);
  }).immediate();
}

/** A read-only handle cannot migrate: the file must already be at SCHEMA_VERSION. */
export function checkSchema(db: Database, file: string): void {
  const current = checkOwnership(db, file);
  if (current > SCHEMA_VERSION) throw newerSchemaError(file, current);
  if (current < SCHEMA_VERSION) {
    throw new SluiceError(
      'SLUICE_E_LOG_SCHEMA',
      `${file}: event log schema version ${current} is older than ${SCHEMA_VERSION}; open it once read-write to migrate it`,
    );
  }
}

/** Returns the file's schema version after checking it is a Sluice log (or an empty database that may become one). */
function checkOwnership(db: Database, file: string): number {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId === SLUICE_APPLICATION_ID) return version;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
  if (applicationId !== 0 || version !== 0 || tables.n > 0) {
    throw new SluiceError(
      'SLUICE_E_LOG_SCHEMA',
      `${file} is a SQLite database but not a Sluice event log (application_id ${applicationId}, ${tables.n} table(s)); ` +
        'point --db at a Sluice log or at a new file',
    );
  }
  return 0;
}

function newerSchemaError(file: string, version: number): SluiceError {
  return new SluiceError(
    'SLUICE_E_LOG_SCHEMA',
    `${file}: event log schema version ${version} was written by a newer Sluice (this one knows up to ${SCHEMA_VERSION}); upgrade Sluice`,
  );
}
