import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendConflictError } from '../errors.js';
import type { NewEvent } from '../events/eventTypes.js';
import { EventLog } from './EventLog.js';
import { temporaryDirectory } from './testing.js';
import { verifyLog } from './verify.js';

/** Properties over random append sequences (CONVENTIONS: "the log only grows", "tampering is detected"). */

const ROLLOUTS = ['a', 'b', 'c'] as const;

interface AppendStep {
  rollout: (typeof ROLLOUTS)[number];
  /** Offset from the correct expected position: 0 appends, anything else must conflict. */
  positionSkew: number;
  events: number;
}

const appendStep = fc.record({
  rollout: fc.constantFrom(...ROLLOUTS),
  positionSkew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
  events: fc.integer({ min: 0, max: 4 }),
});

let tmp: ReturnType<typeof temporaryDirectory>;
let runs = 0;
beforeAll(() => {
  tmp = temporaryDirectory();
});
afterAll(() => tmp.cleanup());

let clock = 0;
function randomEvents(count: number, note: string): NewEvent[] {
  return Array.from({ length: count }, () => ({ type: 'paused', at: ++clock, data: { reason: `${note}-${clock}` } }) as NewEvent);
}

/** Applies the steps to a fresh log and returns its file, checking the growth properties on the way. */
function buildLog(steps: readonly AppendStep[], note: string): string {
  const file = tmp.file(`run-${++runs}.db`);
  const log = EventLog.open(file);
  const counts = new Map<string, number>();
  let hashesBefore: string[] = [];
  try {
    for (const step of steps) {
      const have = counts.get(step.rollout) ?? 0;
      const expected = have + step.positionSkew;
      const attempt = () => log.append(step.rollout, expected, randomEvents(step.events, note));
      if (step.positionSkew === 0) counts.set(step.rollout, have + attempt().length);
      else if (expected < 0) expect(attempt).toThrow(/expectedPosition/);
      else expect(attempt).toThrow(AppendConflictError);
      // The log only grows: everything that was there is still there, unchanged, in the same order.
      const hashesAfter = [...log.readAll()].map((e) => e.hash);
      expect(hashesAfter.slice(0, hashesBefore.length)).toEqual(hashesBefore);
      hashesBefore = hashesAfter;
    }
    for (const rollout of ROLLOUTS) {
      const positions = [...log.read(rollout)].map((e) => e.position);
      expect(positions).toEqual(Array.from({ length: counts.get(rollout) ?? 0 }, (_, i) => i));
    }
    expect(verifyLog(log)).toMatchObject({ ok: true, events: hashesBefore.length });
  } finally {
    log.close();
  }
  return file;
}

type Tampering = 'edit' | 'delete' | 'swap';

function tamper(file: string, kind: Tampering, pick: number, pickOther: number): boolean {
  const raw = new Database(file);
  try {
    const seqs = (raw.prepare('SELECT seq FROM events ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    if (seqs.length === 0 || (kind === 'swap' && seqs.length < 2)) return false;
    const seq = seqs[pick % seqs.length]!;
    raw.exec('DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete;');
    if (kind === 'edit') raw.prepare(`UPDATE events SET data = '{"reason":"forged"}' WHERE seq = ?`).run(seq);
    if (kind === 'delete') raw.prepare('DELETE FROM events WHERE seq = ?').run(seq);
    if (kind === 'swap') {
      const other = seqs[(pick + 1 + (pickOther % (seqs.length - 1))) % seqs.length]!;
      const a = raw.prepare('SELECT type, at, data FROM events WHERE seq = ?').get(seq) as { type: string; at: number; data: string };
      const b = raw.prepare('SELECT type, at, data FROM events WHERE seq = ?').get(other) as typeof a;
      const update = raw.prepare('UPDATE events SET type = ?, at = ?, data = ? WHERE seq = ?');
      update.run(b.type, b.at, b.data, seq);
      update.run(a.type, a.at, a.data, other);
    }
    return true;
  } finally {
    raw.close();
  }
}

describe('EventLog properties', () => {
  it('over random append sequences the log only grows, positions are contiguous and the chain verifies', () => {
    fc.assert(
      fc.property(fc.array(appendStep, { maxLength: 25 }), (steps) => {
        buildLog(steps, 'grow');
      }),
      { numRuns: 40 },
    );
  });

  it('detects any single tampering: an edited, deleted or swapped row', () => {
    fc.assert(
      fc.property(
        fc.array(appendStep, { minLength: 1, maxLength: 15 }),
        fc.constantFrom<Tampering>('edit', 'delete', 'swap'),
        fc.nat(),
        fc.nat(),
        (steps, kind, pick, pickOther) => {
          const file = buildLog(steps, 'tamper');
          fc.pre(tamper(file, kind, pick, pickOther));
          const log = EventLog.open(file, { readonly: true });
          try {
            expect(verifyLog(log).ok).toBe(false);
          } finally {
            log.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
