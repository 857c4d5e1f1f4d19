import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRolloutDecider } from '../machine/decider.js';
import { ROLLOUT_PHASES } from '../machine/rolloutContext.js';
import { input, testGateEvaluatorFor, testSpec } from '../machine/testing/fixtures.js';
import { s, scenario } from '../machine/testing/scenarios.js';
import { RolloutSession } from '../rollout/RolloutSession.js';
import { EventLog } from './EventLog.js';
import { MIGRATIONS, SLUICE_APPLICATION_ID } from './migrations.js';
import { ENDED_PAGE_MAX } from './rolloutLifecycle.js';
import { temporaryDirectory } from './testing.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
let dir: ReturnType<typeof temporaryDirectory>;
let log: EventLog;

beforeEach(() => {
  dir = temporaryDirectory('sluice-lifecycle-');
  log = EventLog.open(dir.file());
});
afterEach(() => {
  log.close();
  dir.cleanup();
});

/** A rollout driven into `phase` with the machine's own scenario inputs (created at `offsetS`). */
function rolloutIn(id: string, phase: (typeof ROLLOUT_PHASES)[number], extra: Parameters<RolloutSession['ingest']>[0][] = []): RolloutSession {
  const [created, ...inputs] = scenario(phase, testSpec({ id }));
  // The scenario's own spec: some phases need one of their own (a stage waiting for approval).
  const spec = created!.type === 'rollout.created' ? created!.data.spec : testSpec({ id });
  const session = RolloutSession.create(log, spec, s(0), { decider });
  for (const event of [...inputs, ...extra]) session.ingest(event);
  return session;
}

const idOf = (phase: string): string => `r-${phase.toLowerCase()}`;

describe('the lifecycle index', () => {
  it('tells every ending and every live phase apart exactly as folding the rollout does', () => {
    const phases = ROLLOUT_PHASES.filter((p) => p !== 'pending');
    for (const phase of phases) rolloutIn(idOf(phase), phase);
    // Endings reached other ways: an abort while rolling back (its 0% was already desired), a late event after the end.
    rolloutIn('r-abort-rolling-back', 'rollingBack', [input.command('abort', s(70))]);
    rolloutIn('r-late-after-end', 'completed', [input.window(s(20), 10), input.command('pause', s(21))]);
    const lifecycles = log.rolloutLifecycles();
    expect(lifecycles.map((l) => l.rolloutId)).toEqual([...phases.map(idOf), 'r-abort-rolling-back', 'r-late-after-end']);
    for (const lifecycle of lifecycles) {
      const view = RolloutSession.load(log, lifecycle.rolloutId, { decider }).view;
      expect(lifecycle.end === null, lifecycle.rolloutId).toBe(!view.terminal);
      expect(lifecycle.createdAt).toBe(s(0));
      if (lifecycle.end) {
        expect(lifecycle.end.phase, lifecycle.rolloutId).toBe(view.phase);
        expect(lifecycle.end.at, lifecycle.rolloutId).toBe(view.endedAt);
        expect(log.eventAt(lifecycle.rolloutId, lifecycle.end.position)).toMatchObject({ type: lifecycle.end.type, seq: lifecycle.end.seq });
      }
    }
    expect(lifecycles.filter((l) => l.end).map((l) => [l.rolloutId, l.end!.phase])).toEqual([
      ['r-rolledback', 'rolledBack'],
      ['r-completed', 'completed'],
      ['r-aborted', 'aborted'],
      ['r-abort-rolling-back', 'aborted'],
      ['r-late-after-end', 'completed'],
    ]);
  });

  it('pages ended rollouts, most recently ended first, bounded by ENDED_PAGE_MAX', () => {
    for (let i = 0; i < 5; i++) rolloutIn(`done-${i}`, i % 2 === 0 ? 'completed' : 'aborted');
    rolloutIn('live', 'progressing');
    const first = log.endedRollouts({ limit: 2 });
    expect(first.map((e) => e.rolloutId)).toEqual(['done-4', 'done-3']);
    const second = log.endedRollouts({ limit: 2, beforeSeq: first.at(-1)!.seq });
    expect(second.map((e) => e.rolloutId)).toEqual(['done-2', 'done-1']);
    expect(log.endedRollouts({ limit: 10, beforeSeq: second.at(-1)!.seq }).map((e) => e.rolloutId)).toEqual(['done-0']);
    expect(log.endedRollouts({ limit: 0 })).toEqual([]);
    expect(log.endedRollouts({ limit: ENDED_PAGE_MAX * 10 })).toHaveLength(5);
    expect(log.rolloutCounts()).toEqual({ rollouts: 6, ended: { completed: 3, rolledBack: 0, aborted: 2 } });
  });

  it('reads the index alone, without touching the events table (a covering partial index)', () => {
    rolloutIn('r', 'completed');
    log.close();
    const raw = new Database(dir.file(), { readonly: true });
    try {
      const plans = ["type IN ('rollout.created', 'completed', 'rollback.completed', 'aborted') GROUP BY type", "type IN ('rollout.created', 'completed', 'rollback.completed', 'aborted') ORDER BY seq", "type IN ('rollout.created', 'completed', 'rollback.completed', 'aborted') AND type IN ('completed', 'rollback.completed', 'aborted') AND seq < 9 ORDER BY seq DESC LIMIT 5"].map((where) =>
        (raw.prepare(`EXPLAIN QUERY PLAN SELECT type, seq, rollout_id, position, at FROM events WHERE ${where}`).all() as { detail: string }[]).map((r) => r.detail).join(' | '),
      );
      for (const plan of plans) expect(plan).toContain('USING COVERING INDEX events_lifecycle');
    } finally {
      raw.close();
      log = EventLog.open(dir.file());
    }
  });

  it('is built for the rows of a log written before it existed (migration 3)', () => {
    log.close();
    const old = dir.file('old.db');
    const raw = new Database(old);
    raw.pragma('journal_mode = WAL');
    for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
      raw.exec(migration.sql);
      migration.run?.(raw);
    }
    raw.pragma('user_version = 2');
    raw.pragma(`application_id = ${SLUICE_APPLICATION_ID}`);
    raw.close();
    log = EventLog.open(old);
    // Written through today's code, but the index is dropped and recreated by the migration below, as for an old file.
    rolloutIn('before', 'aborted');
    log.close();
    const downgrade = new Database(old);
    downgrade.exec('DROP INDEX events_lifecycle');
    downgrade.pragma('user_version = 2');
    downgrade.close();
    // A reader of the old file finds the same answer without the index (a scan); a writer migrates and indexes it.
    const reader = EventLog.open(old, { readonly: true });
    expect(reader.rolloutLifecycles().map((l) => l.end?.phase)).toEqual(['aborted']);
    reader.close();
    log = EventLog.open(old);
    expect(log.schemaVersion).toBe(3);
    expect(log.rolloutLifecycles().map((l) => [l.rolloutId, l.end?.phase])).toEqual([['before', 'aborted']]);
  });
});
