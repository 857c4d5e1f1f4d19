import { EventLog, verifyLog, verifyTail, type NewEvent } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSuite, operationsPerSecond } from '../lib/benchmark.js';

/**
 * What the daemon pays before it is ready (docs/reliability.md): verifying the rows after the last checkpoint
 * (verifyTail) against verifying the whole log (verifyLog, which the background pass and `sluice verify` do), on a log
 * of 1,000 rollouts × 200 events with 1,000 rows appended since the checkpoint. A start's cost must not grow with the
 * log's size.
 */
const ROLLOUTS = 1_000;
const EVENTS_PER_ROLLOUT = 200;
const ROWS_SINCE_CHECKPOINT = 1_000;

let dir = '';
let log: EventLog;

function event(at: number, i: number): NewEvent {
  return { type: 'health.checked', at, data: { ok: i % 7 !== 0, target: 'http://candidate/healthz', detail: i % 7 === 0 ? '503' : '200' } };
}

export default defineSuite({
  name: 'log: verification at start',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-verify-'));
    const file = join(dir, 'log.db');
    const writer = EventLog.open(file, { writer: 'bench' });
    writer.transaction(() => {
      for (let r = 0; r < ROLLOUTS; r++) {
        const events = Array.from({ length: EVENTS_PER_ROLLOUT }, (_, i) => event(1_000 + i, i));
        writer.append(`rollout-${r}`, 0, events);
      }
    });
    const head = writer.logHead()!;
    writer.writeCheckpoint(head.seq, head.link!, Date.now());
    // Rows since the checkpoint, spread over rollouts as a daemon's ticks would append them.
    writer.transaction(() => {
      for (let i = 0; i < ROWS_SINCE_CHECKPOINT; i++) writer.append(`rollout-${i % ROLLOUTS}`, EVENTS_PER_ROLLOUT + Math.floor(i / ROLLOUTS), [event(9_000 + i, i)]);
    });
    writer.close();
    log = EventLog.open(file, { readonly: true });
  },
  teardown() {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'verifyTail before ready (1,000 rows since the checkpoint, 201,000-row log)',
      unit: 'starts/s',
      note: `${ROLLOUTS} rollouts × ${EVENTS_PER_ROLLOUT} events, a checkpoint, then ${ROWS_SINCE_CHECKPOINT} rows: the rows after the checkpoint, each checked against the row it links to, and every head that moved.`,
      measure() {
        let ok = true;
        const rate = operationsPerSecond(1, () => {
          ok = verifyTail(log).ok;
        });
        if (!ok) throw new Error('the bench log does not verify');
        return rate;
      },
      reference: {
        name: 'verifyLog of the whole log',
        measure() {
          let ok = true;
          const rate = operationsPerSecond(1, () => {
            ok = verifyLog(log).ok;
          });
          if (!ok) throw new Error('the bench log does not verify');
          return rate;
        },
      },
      target: { ratioMin: 20 },
      runs: 3,
    },
  ],
});
