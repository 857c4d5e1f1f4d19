import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppendConflictError, EventInvalidError } from '../errors.js';
import type { NewEvent } from '../events/eventTypes.js';
import { GENESIS_HASH, eventHash } from './eventHash.js';
import { EventLog, READ_PAGE_ROWS } from './EventLog.js';
import { SCHEMA_VERSION } from './migrations.js';
import { healthEvent, pausedEvent, temporaryDirectory } from './testing.js';

let tmp: ReturnType<typeof temporaryDirectory>;
let log: EventLog;
beforeEach(() => {
  tmp = temporaryDirectory();
  log = EventLog.open(tmp.file());
});
afterEach(() => {
  log.close();
  tmp.cleanup();
});

describe('EventLog append and read', () => {
  it('appends with contiguous positions, a global sequence and a hash chain from 64 zeros', () => {
    const first = log.append('r1', 0, [healthEvent(1000), pausedEvent(1001)]);
    const second = log.append('r2', 0, [healthEvent(1002)]);
    const third = log.append('r1', 2, [healthEvent(1003, false)]);
    expect(first.map((e) => e.position)).toEqual([0, 1]);
    expect([...first, ...second, ...third].map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(third[0]!.position).toBe(2);
    const expectedHash = eventHash(GENESIS_HASH, {
      rolloutId: 'r1',
      position: 0,
      type: 'health.checked',
      version: 1,
      at: 1000,
      dataJson: '{"detail":"200","ok":true,"target":"http://candidate/healthz"}',
    });
    expect(first[0]!.hash).toBe(expectedHash);
    expect(log.head('r1')).toEqual({ position: 2, hash: third[0]!.hash });
    expect(log.nextPosition('r1')).toBe(3);
    expect(log.nextPosition('nobody')).toBe(0);
    expect(log.head('nobody')).toBeNull();
  });

  it('reads back what was appended, from a position', () => {
    log.append('r1', 0, [healthEvent(1000), pausedEvent(1001, 'why'), healthEvent(1002)]);
    const all = [...log.read('r1')];
    expect(all.map((e) => [e.position, e.type, e.at])).toEqual([
      [0, 'health.checked', 1000],
      [1, 'paused', 1001],
      [2, 'health.checked', 1002],
    ]);
    expect(all[1]!.data).toEqual({ reason: 'why' });
    expect([...log.read('r1', 2)].map((e) => e.position)).toEqual([2]);
    expect([...log.read('unknown')]).toEqual([]);
  });

  it('reads the same content without sequence numbers and hashes with readRecorded, across pages', () => {
    const count = READ_PAGE_ROWS + 3;
    log.append('r1', 0, [pausedEvent(5, 'why'), ...Array.from({ length: count - 1 }, (_, i) => healthEvent(10 + i, i % 2 === 0))]);
    const full = [...log.read('r1', 1)];
    const recorded = [...log.readRecorded('r1', 1)];
    expect(recorded).toEqual(full.map(({ position, type, version, at, data }) => ({ position, type, version, at, data })));
    expect(recorded.map((e) => e.position)).toEqual(Array.from({ length: count - 1 }, (_, i) => i + 1));
    expect([...log.readRecorded('r1')][0]).toEqual({ position: 0, type: 'paused', version: 1, at: 5, data: { reason: 'why' } });
    expect([...log.readRecorded('unknown')]).toEqual([]);
  });

  it('streams rollouts longer than a page, and lets appends run while a reader is open', () => {
    const count = READ_PAGE_ROWS * 2 + 7;
    log.append('long', 0, Array.from({ length: count }, (_, i) => healthEvent(i)));
    const reader = log.read('long');
    expect(reader.next().value?.position).toBe(0);
    log.append('other', 0, [healthEvent(1)]); // would throw "connection is busy" with an open .iterate() cursor
    let n = 1;
    for (const event of reader) expect(event.position).toBe(n++);
    expect(n).toBe(count);
    expect([...log.readAll()].length).toBe(count + 1);
    expect([...log.readAll(count + 1)].map((e) => e.rolloutId)).toEqual(['other']);
  });

  it('lists rollouts in creation order with counts and times', () => {
    log.append('b', 0, [healthEvent(5), healthEvent(9)]);
    log.append('a', 0, [healthEvent(7)]);
    expect(log.listRollouts()).toEqual([
      { rolloutId: 'b', events: 2, firstAt: 5, lastAt: 9 },
      { rolloutId: 'a', events: 1, firstAt: 7, lastAt: 7 },
    ]);
  });

  it('refuses an append at the wrong position with AppendConflictError and writes nothing', () => {
    log.append('r1', 0, [healthEvent(1)]);
    const attempt = () => log.append('r1', 0, [healthEvent(2)]);
    expect(attempt).toThrow(AppendConflictError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'SLUICE_E_APPEND_CONFLICT', expectedPosition: 0, actualPosition: 1 }));
    expect(() => log.append('r1', 5, [healthEvent(2)])).toThrow(AppendConflictError);
    expect(log.nextPosition('r1')).toBe(1);
  });

  it.each<[string, NewEvent, string]>([
    ['unknown type', { type: 'made.up', at: 1, data: {} } as unknown as NewEvent, 'type'],
    ['fractional at', { type: 'tick', at: 1.5, data: {} }, 'at'],
    ['negative at', { type: 'tick', at: -1, data: {} }, 'at'],
    ['array data', { type: 'tick', at: 1, data: [] } as unknown as NewEvent, 'data'],
    ['NaN in data', { type: 'metric.observed', at: 1, data: { name: 'x', variant: 'canary', value: Number.NaN } }, 'data.value'],
    ['Date in data', { type: 'paused', at: 1, data: { reason: new Date(0) } } as unknown as NewEvent, 'data.reason'],
  ])('refuses an invalid event (%s) naming rollout, type and field, before writing anything', (_name, bad, field) => {
    const attempt = () => log.append('r1', 0, [healthEvent(1), bad]);
    expect(attempt).toThrow(EventInvalidError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'SLUICE_E_EVENT_INVALID', rolloutId: 'r1', field }));
    expect(attempt).toThrow(/rollout "r1"/);
    expect(log.nextPosition('r1')).toBe(0);
  });

  it('drops undefined properties as JSON does, so the hash covers what is read back', () => {
    const [stored] = log.append('r1', 0, [{ type: 'paused', at: 1, data: { reason: 'x', extra: undefined } as never }]);
    expect([...log.read('r1')][0]!.data).toEqual({ reason: 'x' });
    expect(stored!.hash).toBe([...log.read('r1')][0]!.hash);
  });
});

describe('EventLog transactions', () => {
  it('commits appends of several rollouts together, and nests', () => {
    log.transaction(() => {
      log.append('a', 0, [healthEvent(1)]);
      log.transaction(() => log.append('b', 0, [healthEvent(2)]));
      log.append('a', 1, [healthEvent(3)]);
    });
    expect(log.nextPosition('a')).toBe(2);
    expect(log.nextPosition('b')).toBe(1);
  });

  it('rolls back everything when the function throws, including a failed nested append', () => {
    expect(() =>
      log.transaction(() => {
        log.append('a', 0, [healthEvent(1)]);
        log.append('b', 0, [healthEvent(2)]);
        log.append('a', 0, [healthEvent(3)]); // conflict
      }),
    ).toThrow(AppendConflictError);
    expect(log.listRollouts()).toEqual([]);
  });

  it('keeps the outer transaction when a nested one fails and the caller handles it', () => {
    log.transaction(() => {
      log.append('a', 0, [healthEvent(1)]);
      expect(() => log.append('a', 0, [healthEvent(2)])).toThrow(AppendConflictError);
      log.append('a', 1, [healthEvent(3)]);
    });
    expect([...log.read('a')].map((e) => e.at)).toEqual([1, 3]);
  });
});

describe('EventLog storage guarantees', () => {
  it('sets its pragmas explicitly and records the schema version', () => {
    const raw = new Database(tmp.file(), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses UPDATE and DELETE in the database itself (triggers)', () => {
    log.append('r1', 0, [healthEvent(1)]);
    const raw = new Database(tmp.file());
    expect(() => raw.prepare("UPDATE events SET data = '{}'").run()).toThrow(/append-only; UPDATE of events is refused/);
    expect(() => raw.prepare('DELETE FROM events').run()).toThrow(/append-only; DELETE from events is refused/);
    raw.close();
    expect([...log.read('r1')]).toHaveLength(1);
  });

  it('opens read-only: reads work, appends are refused, a missing file is a clear error', () => {
    log.append('r1', 0, [healthEvent(1)]);
    const reader = EventLog.open(tmp.file(), { readonly: true });
    expect([...reader.read('r1')]).toHaveLength(1);
    expect(() => reader.append('r1', 1, [healthEvent(2)])).toThrow(/read-only/);
    reader.close();
    expect(() => EventLog.open(tmp.file('missing.db'), { readonly: true })).toThrow(/does not exist/);
  });

  it('refuses to open a SQLite file that is not a Sluice log, and a file that is not SQLite', () => {
    const foreign = new Database(tmp.file('foreign.db'));
    foreign.exec('CREATE TABLE customers (id INTEGER)');
    foreign.close();
    expect(() => EventLog.open(tmp.file('foreign.db'))).toThrow(expect.objectContaining({ code: 'SLUICE_E_LOG_SCHEMA' }));
    writeFileSync(tmp.file('text.db'), 'hello, this is not a database at all, just some text to fill a page');
    expect(() => EventLog.open(tmp.file('text.db'))).toThrow(expect.objectContaining({ code: 'SLUICE_E_LOG_CORRUPT', message: expect.stringMatching(/not a SQLite database/) }));
  });

  it('refuses a log written by a newer schema', () => {
    log.close();
    const raw = new Database(tmp.file());
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => EventLog.open(tmp.file())).toThrow(/newer Sluice/);
    log = EventLog.open(tmp.file('other.db'));
  });

  it('opens an in-memory log for tests', () => {
    const memory = EventLog.open(':memory:');
    memory.append('r1', 0, [healthEvent(1)]);
    expect([...memory.read('r1')]).toHaveLength(1);
    memory.close();
  });

  it('reopens an existing log and continues its chains', () => {
    const [first] = log.append('r1', 0, [healthEvent(1)]);
    log.close();
    log = EventLog.open(tmp.file());
    const [second] = log.append('r1', 1, [healthEvent(2)]);
    expect(second!.seq).toBe(2);
    expect([...log.read('r1')].map((e) => e.hash)).toEqual([first!.hash, second!.hash]);
  });
});
