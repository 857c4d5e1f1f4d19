import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_TYPES, INPUT_TYPES, isDecisionType } from '../events/eventTypes.js';
import { canonicalJson } from '../log/canonicalJson.js';
import { eventHash, GENESIS_HASH } from '../log/eventHash.js';
import { EventLog } from '../log/EventLog.js';
import { createSchemaOneLog, temporaryDirectory } from '../log/testing.js';
import { verifyLog } from '../log/verify.js';
import { replay } from './replay.js';

/**
 * The golden log (scripts/recordGoldenLog.ts): rollouts recorded by an earlier build, covering every phase, gate kind,
 * command and rollback mode. Its rows are inserted as they were written — with their recorded type versions, not
 * re-appended through today's EventLog — and replay must reproduce every recorded decision. A change that alters a
 * verdict, an evidence number or a summary sentence, or that can no longer read an old event, fails here: an old log
 * must stay readable and re-judge the same. Re-record the file only for an intended change of decisions, and say why.
 */
interface GoldenRow {
  rolloutId: string;
  position: number;
  type: string;
  version: number;
  at: number;
  data: Record<string, unknown>;
}

/** The event types of the build that recorded the file (all of them, at the time). */
const RECORDED_TYPES = [
  'rollout.created', 'samples.window', 'health.checked', 'metric.observed', 'command.issued', 'weight.applied', 'weight.applyFailed', 'tick',
  'gate.evaluated', 'stage.entered', 'stage.awaitingApproval', 'stage.extended', 'stage.held', 'weight.desired', 'rollback.started',
  'rollback.completed', 'paused', 'resumed', 'completed', 'aborted', 'command.rejected',
];

const rows: GoldenRow[] = gunzipSync(readFileSync(new URL('./goldenLog.ndjson.gz', import.meta.url)))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as GoldenRow);
const rolloutIds = [...new Set(rows.map((row) => row.rolloutId))];

let tmp: ReturnType<typeof temporaryDirectory>;
let log: EventLog;
beforeAll(() => {
  tmp = temporaryDirectory('sluice-golden-');
  // A log as the earlier build laid it out (schema 1); opening it for writing below migrates it as a user's log would be.
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
  log = EventLog.open(tmp.file(), { readonly: true });
});
afterAll(() => {
  log.close();
  tmp.cleanup();
});

describe('the golden log recorded by an earlier build', () => {
  it('covers every ending, and its chain verifies', () => {
    expect(verifyLog(log).ok).toBe(true);
    const outcomes = rolloutIds.map((id) => replay(log, id).recordedOutcome.outcome);
    expect(new Set(outcomes)).toEqual(new Set(['rolledBack', 'completed', 'aborted']));
    const kinds = new Set(rows.filter((r) => r.type === 'gate.evaluated').map((r) => r.data['kind']));
    expect(kinds).toEqual(new Set(['errorRate', 'latency', 'compareErrorRate', 'compareLatency', 'sampleRatio', 'health', 'metric', 'flagger', 'argo']));
    // Every input and decision type there was when it was recorded appears, and each is still a type of this build.
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(RECORDED_TYPES));
    for (const type of RECORDED_TYPES) expect([...INPUT_TYPES, ...DECISION_TYPES]).toContain(type);
  });

  it.each(rolloutIds)('replay reproduces every recorded decision of %s', (rolloutId) => {
    const result = replay(log, rolloutId);
    expect(result.divergences.slice(0, 3)).toEqual([]);
    expect(result.reproduced).toBe(true);
    expect(result.recordedDecisions).toBe(rows.filter((r) => r.rolloutId === rolloutId && isDecisionType(r.type)).length);
    expect(result.recomputedOutcome).toEqual(result.recordedOutcome);
  });
});
