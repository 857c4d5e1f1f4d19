import Database from 'better-sqlite3';
import { EventLog, type NewEvent } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSuite, operationsPerSecond } from '../lib/benchmark.js';
import { rolloutEvents, sampleWindows } from './logFixtures.js';

/**
 * The event log against bare better-sqlite3 on the same schema, pragmas and rows.
 * Append: the daemon's group commit — 100 rollouts × 60 windows × 3 events appended in batches of 3 inside one
 * `transaction`, vs a bare prepared INSERT loop of the very rows EventLog wrote (hashes precomputed) in one transaction.
 * Read: every rollout streamed with `read` (page queries, JSON.parse, validation, upgrade) vs a bare `.iterate()` of the
 * same rows that touches each row's data column.
 */
const ROLLOUTS = 100;
const WINDOWS = 60;

let dir = '';
let batches: NewEvent[][] = [];
let rows: unknown[][] = [];
let readLog: EventLog;
let readRaw: Database.Database;
let eventCount = 0;
let fileCounter = 0;

function freshFile(): string {
  return join(dir, `log-${++fileCounter}.db`);
}

function rolloutId(r: number): string {
  return `rollout-${String(r).padStart(4, '0')}`;
}

/** Writes the benchmark's events the way the daemon does and returns the log (open). */
function appendAll(file: string): EventLog {
  const log = EventLog.open(file);
  log.transaction(() => {
    for (let r = 0; r < ROLLOUTS; r++) {
      let position = 0;
      for (const batch of batches) position += log.append(rolloutId(r), position, batch).length;
    }
  });
  return log;
}

/** Opens a raw handle with the pragmas EventLog sets, on a file that already has the schema. */
function rawHandle(file: string): Database.Database {
  EventLog.open(file).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

export default defineSuite({
  name: 'core: event log',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-log-'));
    batches = rolloutEvents(sampleWindows(WINDOWS, 200));
    eventCount = ROLLOUTS * batches.reduce((n, b) => n + b.length, 0);
    readLog = appendAll(freshFile());
    readRaw = new Database(readLog.file, { readonly: true });
    rows = (readRaw.prepare('SELECT rollout_id, position, type, version, at, data, prev_hash, hash FROM events ORDER BY seq').raw().all() as unknown[][]);
  },
  teardown() {
    readLog.close();
    readRaw.close();
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'EventLog.append (group commit)',
      unit: 'events/s',
      note: `${ROLLOUTS} rollouts × ${WINDOWS} windows × 3 events (samples.window + 2 gate.evaluated), batches of 3, one transaction, synchronous=FULL; includes validation, canonical JSON and SHA-256.`,
      measure() {
        const file = freshFile();
        EventLog.open(file).close();
        let log: EventLog | undefined;
        const rate = operationsPerSecond(eventCount, () => {
          log = appendAll(file);
        });
        log?.close();
        return rate;
      },
      reference: {
        name: 'bare INSERT loop',
        measure() {
          const db = rawHandle(freshFile());
          const insert = db.prepare('INSERT INTO events (rollout_id, position, type, version, at, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
          const rate = operationsPerSecond(rows.length, () => {
            db.transaction(() => {
              for (const row of rows) insert.run(...row);
            })();
          });
          db.close();
          return rate;
        },
      },
      target: { ratioMin: 0.5 },
    },
    {
      name: 'EventLog.read (replay read)',
      unit: 'events/s',
      note: 'Streams every rollout with read(): paged queries, JSON.parse of the data, type/version validation and upgrade — what replay and the daemon’s rebuild read. It does not include folding through the machine.',
      measure() {
        let seen = 0;
        const rate = operationsPerSecond(eventCount, () => {
          for (let r = 0; r < ROLLOUTS; r++) for (const event of readLog.read(rolloutId(r))) seen += event.position >= 0 ? 1 : 0;
        });
        if (seen !== eventCount) throw new Error(`read ${seen} events, expected ${eventCount}`);
        return rate;
      },
      reference: {
        name: 'bare .iterate()',
        measure() {
          const select = readRaw.prepare('SELECT * FROM events WHERE rollout_id = ? ORDER BY position');
          let bytes = 0;
          const rate = operationsPerSecond(eventCount, () => {
            for (let r = 0; r < ROLLOUTS; r++) for (const row of select.iterate(rolloutId(r))) bytes += (row as { data: string }).data.length;
          });
          if (bytes === 0) throw new Error('bare iteration read nothing');
          return rate;
        },
      },
      target: { ratioMin: 0.3 },
    },
  ],
});
