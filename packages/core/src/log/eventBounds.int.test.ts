import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventInvalidError } from '../errors.js';
import { EVENT_DATA_CHARS_MAX } from './eventRow.js';
import { EventLog } from './EventLog.js';
import { temporaryDirectory } from './testing.js';

/** The log's own bounds on what one new event holds (the API refuses first; these are the last guard). */
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

describe('bounds on new events', () => {
  it("refuses a command's 900 kB reason naming the field, and appends nothing", () => {
    const attempt = () => log.append('r1', 0, [{ type: 'command.issued', at: 1_000, data: { command: 'pause', actor: 'api', reason: 'r'.repeat(900_000) } }]);
    expect(attempt).toThrow(EventInvalidError);
    expect(attempt).toThrow(/data\.reason: is 900000 characters; at most 1024 are stored/);
    expect(log.nextPosition('r1')).toBe(0);
    log.append('r1', 0, [{ type: 'command.issued', at: 1_000, data: { command: 'pause', actor: 'a'.repeat(128), reason: 'r'.repeat(1_024) } }]);
    expect(log.nextPosition('r1')).toBe(1);
  });

  it('refuses any event whose data is over the size bound', () => {
    const big = { ok: true, target: 't', extra: 'x'.repeat(EVENT_DATA_CHARS_MAX) };
    expect(() => log.append('r1', 0, [{ type: 'health.checked', at: 1_000, data: big }])).toThrow(/at most 1048576 are stored in one event/);
  });
});
