import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect } from 'vitest';
import { isDecisionType } from '../events/eventTypes.js';
import { canonicalJson } from '../log/canonicalJson.js';
import { eventHash, GENESIS_HASH } from '../log/eventHash.js';
import { EventLog } from '../log/EventLog.js';
import { createSchemaOneLog, temporaryDirectory } from '../log/testing.js';
import { replay } from './replay.js';

/**
 * Golden logs (docs/log.md, "Golden logs"): rollouts recorded by a build, stored row by row as written (type, version,
 * time, data), and loaded here into a log file exactly so — with their recorded versions, not re-appended through
 * today's EventLog — for replay to re-judge. One file per format of the log:
 * - goldenLog.ndjson.gz: recorded 2026-11-24 (37be615), every type at version 1: every verdict, compressed windows.
 *   Frozen: never re-recorded. It proves old logs stay readable and re-judge the same.
 * - goldenLogV2.ndjson.gz: rollout.created 2 (verdicts that say something new), samples.window 2 (plain windows).
 *   Recorded by scripts/recordGoldenLog.ts; re-recorded only for an intended change of decisions, in its own commit.
 */
export interface GoldenRow {
  rolloutId: string;
  position: number;
  type: string;
  version: number;
  at: number;
  data: Record<string, unknown>;
}

export function readGoldenRows(file: URL): GoldenRow[] {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as GoldenRow);
}

/**
 * A log file holding `rows` as written: inserted into a log laid out as the first schema was (as the earliest build
 * wrote it), with their chains, then opened for writing once (which migrates it as a user's log would be), and
 * returned open read-only.
 */
export function loadGoldenLog(rows: readonly GoldenRow[]): { log: EventLog; cleanup: () => void } {
  const tmp = temporaryDirectory('sluice-golden-');
  createSchemaOneLog(tmp.file());
  const raw = new Database(tmp.file());
  const insert = raw.prepare('INSERT INTO events (rollout_id, position, type, version, at, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const previous = new Map<string, string>();
  raw.transaction(() => {
    for (const row of rows) {
      const prevHash = previous.get(row.rolloutId) ?? GENESIS_HASH;
      const dataJson = canonicalJson(row.data);
      const hash = eventHash(prevHash, { rolloutId: row.rolloutId, position: row.position, type: row.type, version: row.version, at: row.at, dataJson });
      insert.run(row.rolloutId, row.position, row.type, row.version, row.at, dataJson, prevHash, hash);
      previous.set(row.rolloutId, hash);
    }
  })();
  raw.close();
  EventLog.open(tmp.file()).close();
  const log = EventLog.open(tmp.file(), { readonly: true });
  return {
    log,
    cleanup: () => {
      log.close();
      tmp.cleanup();
    },
  };
}

/** A golden-log suite's data: its rows and rollouts now, its log (loaded before all tests, removed after) in `log()`. */
export function useGoldenLog(file: URL): { rows: GoldenRow[]; rolloutIds: string[]; log: () => EventLog } {
  const rows = readGoldenRows(file);
  let golden: ReturnType<typeof loadGoldenLog> | undefined;
  beforeAll(() => {
    golden = loadGoldenLog(rows);
  });
  afterAll(() => golden?.cleanup());
  return { rows, rolloutIds: [...new Set(rows.map((row) => row.rolloutId))], log: () => golden!.log };
}

/** Replay of `rolloutId` reproduces every decision the golden rows hold for it, and its outcome. */
export function expectEveryDecisionReproduced(log: EventLog, rows: readonly GoldenRow[], rolloutId: string): void {
  const result = replay(log, rolloutId);
  expect(result.divergences.slice(0, 3)).toEqual([]);
  expect(result.reproduced).toBe(true);
  expect(result.recordedDecisions).toBe(rows.filter((r) => r.rolloutId === rolloutId && isDecisionType(r.type)).length);
  expect(result.recomputedOutcome).toEqual(result.recordedOutcome);
}
