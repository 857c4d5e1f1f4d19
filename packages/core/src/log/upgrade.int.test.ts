import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upgradeEventData, type EventUpgraders } from '../events/upgrade.js';
import { canonicalJson } from './canonicalJson.js';
import { eventHash, GENESIS_HASH } from './eventHash.js';
import { EventLog } from './EventLog.js';
import { createSchemaOneLog, temporaryDirectory } from './testing.js';
import { verifyLog } from './verify.js';

/**
 * Every type is at version 1 today, so this writes a synthetic version-0 `health.checked` row (whose data said
 * `healthy` where v1 says `ok`) and reads it through a synthetic v0 → v1 upgrader, as a future change would.
 */
const v0Upgraders: EventUpgraders = {
  'health.checked': { 0: (data) => ({ ok: data['healthy'] === true, target: data['url'] }) },
};

let tmp: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  tmp = temporaryDirectory();
  // Old rows are written into a schema-1 log, as an older build did; the first writable open migrates them.
  createSchemaOneLog(tmp.file());
});
afterEach(() => tmp.cleanup());

function writeRawRow(type: string, version: number, data: unknown): void {
  const dataJson = canonicalJson(data);
  const hash = eventHash(GENESIS_HASH, { rolloutId: 'old', position: 0, type, version, at: 10, dataJson });
  const raw = new Database(tmp.file());
  raw
    .prepare('INSERT INTO events (rollout_id, position, type, version, at, data, prev_hash, hash) VALUES (?, 0, ?, ?, 10, ?, ?, ?)')
    .run('old', type, version, dataJson, GENESIS_HASH, hash);
  raw.close();
}

describe('reading old event versions', () => {
  it('upgrades a v0 event to the current shape on read, keeping the chain as written', () => {
    writeRawRow('health.checked', 0, { healthy: true, url: 'http://x/healthz' });
    const log = EventLog.open(tmp.file(), { upgraders: v0Upgraders });
    const [event] = [...log.read('old')];
    expect(event).toMatchObject({ type: 'health.checked', version: 0, data: { ok: true, target: 'http://x/healthz' } });
    expect([...log.readRecorded('old')]).toEqual([{ position: 0, type: 'health.checked', version: 0, at: 10, data: { ok: true, target: 'http://x/healthz' } }]);
    expect(verifyLog(log).ok).toBe(true);
    log.close();
  });

  it('names rollout and position when no upgrader exists for an old version', () => {
    writeRawRow('health.checked', 0, { healthy: true });
    const log = EventLog.open(tmp.file());
    expect(() => [...log.read('old')]).toThrow(/rollout "old" position 0 event \(health.checked\): version: no upgrader/);
    log.close();
  });

  it('refuses a version newer than this build and an unknown type, naming rollout and position', () => {
    writeRawRow('health.checked', 7, { ok: true });
    const log = EventLog.open(tmp.file());
    expect(() => [...log.read('old')]).toThrow(expect.objectContaining({ code: 'SLUICE_E_EVENT_INVALID', rolloutId: 'old', position: 0, field: 'version' }));
    expect(() => [...log.readRecorded('old')]).toThrow(expect.objectContaining({ code: 'SLUICE_E_EVENT_INVALID', rolloutId: 'old', position: 0, field: 'version' }));
    log.close();
  });

  it('refuses an unknown type read back', () => {
    writeRawRow('made.up', 1, {});
    const log = EventLog.open(tmp.file());
    expect(() => [...log.readAll()]).toThrow(expect.objectContaining({ rolloutId: 'old', position: 0, field: 'type' }));
    expect(() => [...log.readRecorded('old')]).toThrow(expect.objectContaining({ rolloutId: 'old', position: 0, field: 'type' }));
    log.close();
  });

  it('chains upgraders step by step', () => {
    expect(upgradeEventData('tick', 1, {})).toEqual({});
    expect(() => upgradeEventData('tick', 2, {})).toThrow(/newer than this Sluice knows/);
  });
});
