import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from './EventLog.js';
import { temporaryDirectory } from './testing.js';

/** New logs get 8 KB pages (a window's row is ~2.4 KB: 4 KB pages left a third of the file empty); old files keep theirs. */
let tmp: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  tmp = temporaryDirectory('sluice-page-');
});
afterEach(() => tmp.cleanup());

function pageSizeOf(file: string): number {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.pragma('page_size', { simple: true }) as number;
  } finally {
    raw.close();
  }
}

describe('the page size of a log file', () => {
  it('is 8 KB for a log this build creates', () => {
    EventLog.open(tmp.file()).close();
    expect(pageSizeOf(tmp.file())).toBe(8_192);
  });

  it('stays as it was for a file created with 4 KB pages, which opens, appends and reads as before', () => {
    const old = new Database(tmp.file());
    old.pragma('page_size = 4096');
    old.exec('VACUUM');
    old.close();
    const log = EventLog.open(tmp.file());
    log.append('r', 0, [{ type: 'paused', at: 1, data: { reason: 'x' } }]);
    expect([...log.readRecorded('r')]).toHaveLength(1);
    log.close();
    expect(pageSizeOf(tmp.file())).toBe(4_096);
  });
});
