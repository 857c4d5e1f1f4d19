import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from './EventLog.js';
import { healthEvent, pausedEvent, temporaryDirectory } from './testing.js';
import { verifyLog } from './verify.js';

let tmp: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  tmp = temporaryDirectory();
  const log = EventLog.open(tmp.file());
  log.append('alpha', 0, [healthEvent(1), pausedEvent(2), healthEvent(3)]);
  log.append('beta', 0, [healthEvent(4), healthEvent(5)]);
  log.append('alpha', 3, [healthEvent(6)]);
  log.close();
});
afterEach(() => tmp.cleanup());

/** What an attacker with file access does: drop the triggers, then run `sql`. */
function tamper(sql: string): void {
  const raw = new Database(tmp.file());
  raw.exec('DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete;');
  raw.exec(sql);
  raw.close();
}

function verifyFile() {
  const log = EventLog.open(tmp.file(), { readonly: true });
  try {
    return verifyLog(log);
  } finally {
    log.close();
  }
}

describe('verifyLog', () => {
  it('accepts an intact log and counts rollouts and events', () => {
    expect(verifyFile()).toEqual({ ok: true, rollouts: 2, events: 6, head: { seq: 6, link: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  it('accepts an empty log', () => {
    const log = EventLog.open(tmp.file('empty.db'));
    expect(verifyLog(log)).toEqual({ ok: true, rollouts: 0, events: 0 });
    log.close();
  });

  it('names rollout and position when a row’s data was edited', () => {
    tamper(`UPDATE events SET data = '{"reason":"nothing to see"}' WHERE rollout_id = 'alpha' AND position = 1`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', position: 1, reason: expect.stringMatching(/hash does not match/) });
  });

  it('detects an edited time or type', () => {
    tamper(`UPDATE events SET at = 99 WHERE rollout_id = 'beta' AND position = 1`);
    expect(verifyFile()).toMatchObject({ ok: false, broken: { rolloutId: 'beta', position: 1 } });
  });

  it('detects a deleted row in the middle of a chain', () => {
    tamper(`DELETE FROM events WHERE rollout_id = 'alpha' AND position = 1`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', position: 1, reason: expect.stringMatching(/position 1 is missing/) });
  });

  it('detects a deleted first row', () => {
    tamper(`DELETE FROM events WHERE rollout_id = 'beta' AND position = 0`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'beta', position: 0 });
  });

  it('detects a deleted last row, which the chain alone cannot, through the global sequence', () => {
    tamper(`DELETE FROM events WHERE rollout_id = 'beta' AND position = 1`);
    const result = verifyFile();
    expect(result.ok).toBe(false);
    // The rollout's head names it: its last event was deleted.
    expect(result.broken).toMatchObject({ rolloutId: 'beta', position: 0, reason: expect.stringMatching(/head is position 1 .* the last 1 event\(s\) were deleted/) });
    tamper(`DELETE FROM events WHERE rollout_id = 'alpha' AND position = 3`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', reason: expect.stringMatching(/head is position 3/) });
    // With the heads gone too, the sequence still tells that rows are missing at the end.
    tamper(`DROP TRIGGER chain_heads_refuse_delete; DELETE FROM chain_heads`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', reason: expect.stringMatching(/no stored head/) });
  });

  it('detects a deleted last row even when the deleter also rewinds sqlite_sequence', () => {
    tamper(`DELETE FROM events WHERE rollout_id = 'beta' AND position = 1; UPDATE sqlite_sequence SET seq = 6 WHERE name = 'events'`);
    expect(verifyFile().ok).toBe(false);
  });

  it('detects swapped contents of two rows', () => {
    tamper(`
      UPDATE events SET data = (SELECT data FROM events WHERE seq = 1), type = (SELECT type FROM events WHERE seq = 1) WHERE seq = 2;
      UPDATE events SET data = '{"reason":"operator"}', type = 'paused' WHERE seq = 1;
    `);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', position: 0 });
  });

  it('detects a row whose hash was recomputed: the next link no longer matches', () => {
    tamper(`UPDATE events SET data = '{"reason":"x"}', hash = 'f' || substr(hash, 2) WHERE rollout_id = 'alpha' AND position = 1`);
    expect(verifyFile().broken).toMatchObject({ rolloutId: 'alpha', position: 1 });
  });

  it('does not report data rewritten with the same content in another key order', () => {
    tamper(`UPDATE events SET data = '{ "target":"http://candidate/healthz", "ok":true, "detail":"200" }' WHERE seq = 1`);
    expect(verifyFile().ok).toBe(true);
  });
});

describe('heads and links across rolled-back appends', () => {
  it('keeps heads and the log-wide chain consistent when a nested transaction or a whole transaction rolls back', () => {
    const log = EventLog.open(tmp.file('rollback.db'));
    log.transaction(() => {
      log.append('alpha', 0, [healthEvent(1)]);
      try {
        log.transaction(() => {
          log.append('alpha', 1, [healthEvent(2)]);
          log.append('beta', 0, [healthEvent(3)]);
          throw new Error('inner level fails');
        });
      } catch {
        /* the inner level is rolled back alone; its deferred heads with it */
      }
      log.append('gamma', 0, [healthEvent(4)]);
    });
    expect(() =>
      log.transaction(() => {
        log.append('alpha', 1, [healthEvent(5)]);
        throw new Error('whole transaction fails');
      }),
    ).toThrow('whole transaction fails');
    // The next append continues from the last committed row, not from the rolled-back one.
    log.append('alpha', 1, [healthEvent(6)]);
    expect(log.storedHead('beta')).toBeNull();
    expect(log.storedHead('alpha')).toMatchObject({ position: 1, seq: 3 });
    expect(verifyLog(log)).toMatchObject({ ok: true, rollouts: 2, events: 3 });
    log.close();
  });
});
