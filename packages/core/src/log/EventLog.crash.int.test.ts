import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from './EventLog.js';
import { temporaryDirectory } from './testing.js';
import { verifyLog } from './verify.js';

/**
 * An acknowledged append survives the process dying: `transaction` returns only after COMMIT (WAL, synchronous=FULL),
 * so a writer killed with SIGKILL right after an acknowledgement loses nothing it acknowledged, and the log reopens
 * with an intact chain. (Power loss is what synchronous=FULL adds on top; a test cannot pull the plug.)
 */
const fixture = join(dirname(fileURLToPath(import.meta.url)), 'crashAppender.fixture.ts');

let tmp: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  tmp = temporaryDirectory();
});
afterEach(() => tmp.cleanup());

function runKilledWriter(batches: number): number {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=sluice-source', fixture, tmp.file(), String(batches)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.signal).toBe('SIGKILL');
  const acks = child.stdout.trim().split('\n').filter((line) => line.startsWith('acked '));
  expect(acks).toHaveLength(batches);
  return Number(acks[acks.length - 1]!.slice('acked '.length));
}

describe('EventLog after the writer is killed', () => {
  it('keeps every acknowledged event and an intact chain, and accepts appends again', () => {
    const acknowledged = runKilledWriter(5);
    const again = runKilledWriter(3);
    expect(again).toBe(acknowledged + 30);
    const log = EventLog.open(tmp.file());
    try {
      expect(log.nextPosition('crash')).toBe(again);
      expect(verifyLog(log)).toMatchObject({ ok: true, events: again });
    } finally {
      log.close();
    }
  });
});
