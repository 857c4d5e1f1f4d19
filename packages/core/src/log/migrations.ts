import type { Database } from 'better-sqlite3';
import { SluiceError } from '../errors.js';
import { chainLink, GENESIS_LINK } from './logChain.js';

/**
 * Versioned schema migrations of the event log. The version lives in SQLite's `user_version`; each migration runs
 * once, in order, inside one immediate transaction with the version bump, so a crash leaves either the old or the new
 * schema. Append a migration to change the schema; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Work SQL cannot do (hashing), run after `sql` in the same transaction. */
  run?: (db: Database) => void;
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
  {
    version: 2,
    description: 'log-wide chain (events.link), per-rollout heads, chain key and verification checkpoints',
    sql: `
      ALTER TABLE events ADD COLUMN link TEXT;
      CREATE TABLE chain_heads (
        rollout_id TEXT    PRIMARY KEY,
        position   INTEGER NOT NULL,
        hash       TEXT    NOT NULL,
        seq        INTEGER NOT NULL,
        link       TEXT    NOT NULL,
        seal       TEXT
      ) STRICT;
      CREATE TRIGGER chain_heads_refuse_delete BEFORE DELETE ON chain_heads
      BEGIN
        SELECT RAISE(ABORT, 'sluice: chain heads only move forward; DELETE is refused');
      END;
      CREATE TRIGGER chain_heads_only_forward BEFORE UPDATE ON chain_heads
      WHEN NEW.seq <= OLD.seq OR NEW.position <= OLD.position OR NEW.rollout_id IS NOT OLD.rollout_id
      BEGIN
        SELECT RAISE(ABORT, 'sluice: chain heads only move forward; moving one back is refused');
      END;
      CREATE TABLE chain_meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      CREATE TABLE chain_checkpoints (
        seq  INTEGER PRIMARY KEY,
        link TEXT    NOT NULL,
        at   INTEGER NOT NULL,
        seal TEXT
      ) STRICT;
      CREATE TRIGGER chain_checkpoints_refuse_update BEFORE UPDATE ON chain_checkpoints
      BEGIN
        SELECT RAISE(ABORT, 'sluice: checkpoints are append-only; UPDATE is refused');
      END;
      CREATE TRIGGER chain_checkpoints_refuse_delete BEFORE DELETE ON chain_checkpoints
      BEGIN
        SELECT RAISE(ABORT, 'sluice: checkpoints are append-only; DELETE is refused');
      END;
    `,
    run: linkExistingRows,
  },
  {
    version: 3,
    description: 'lifecycle index: where each rollout was created and ended (rolloutLifecycle.ts)',
    // Partial and covering: one entry per rollout.created and per terminal decision, so the active rollouts of a log
    // with any history are found in one index scan. Its WHERE is repeated word for word by the queries that use it.
    sql: `
      CREATE INDEX events_lifecycle ON events (type, seq, rollout_id, position, at)
      WHERE type IN ('rollout.created', 'completed', 'rollback.completed', 'aborted');
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
      migration.run?.(db);
      db.pragma(`user_version = ${migration.version}`);
    }
    db.pragma(`application_id = ${SLUICE_APPLICATION_ID}`);
  }).immediate();
}

/**
 * A read-only handle cannot migrate: the file must be at least at `minimumVersion` (readers that know how to read an
 * older schema, such as verify, pass a lower one) and at most at SCHEMA_VERSION. Returns the file's version.
 */
export function checkSchema(db: Database, file: string, minimumVersion = SCHEMA_VERSION): number {
  const current = checkOwnership(db, file);
  if (current > SCHEMA_VERSION) throw newerSchemaError(file, current);
  if (current < minimumVersion || current === 0) {
    throw new SluiceError(
      'SLUICE_E_LOG_SCHEMA',
      `${file}: event log schema version ${current} is older than ${SCHEMA_VERSION}; open it once read-write to migrate it`,
    );
  }
  return current;
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

/**
 * Version 2 adds the log-wide chain. Rows written before it get their links now, in sequence order, and every rollout
 * its head — so an old log is held to the same rules from here on. The migration vouches for the rows as they are:
 * run `sluice verify` on an old log before upgrading if it may have been edited (its per-rollout chains still tell).
 */
function linkExistingRows(db: Database): void {
  db.exec('DROP TRIGGER events_refuse_update');
  const page = db.prepare<[number], { seq: number; rollout_id: string; position: number; hash: string }>(
    'SELECT seq, rollout_id, position, hash FROM events WHERE seq > ? ORDER BY seq LIMIT 1000',
  );
  const setLink = db.prepare('UPDATE events SET link = ? WHERE seq = ?');
  const heads = new Map<string, { position: number; hash: string; seq: number; link: string }>();
  let link = GENESIS_LINK;
  for (let after = 0; ; ) {
    const rows = page.all(after);
    for (const row of rows) {
      link = chainLink(link, row.seq, row.hash, undefined);
      setLink.run(link, row.seq);
      heads.set(row.rollout_id, { position: row.position, hash: row.hash, seq: row.seq, link });
    }
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]!.seq;
  }
  const insertHead = db.prepare('INSERT INTO chain_heads (rollout_id, position, hash, seq, link, seal) VALUES (?, ?, ?, ?, ?, NULL)');
  for (const [rolloutId, head] of heads) insertHead.run(rolloutId, head.position, head.hash, head.seq, head.link);
  db.exec(`
    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
    BEGIN
      SELECT RAISE(ABORT, 'sluice: the event log is append-only; UPDATE of events is refused');
    END;
  `);
}
