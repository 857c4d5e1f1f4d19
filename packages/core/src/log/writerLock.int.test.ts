import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from './EventLog.js';
import { healthEvent, temporaryDirectory } from './testing.js';
import { holderFileOf, LogLockedError, readWriterHolder } from './writerLock.js';

const HOLDER = fileURLToPath(new URL('./writerLockHolder.fixture.ts', import.meta.url));

let tmp: ReturnType<typeof temporaryDirectory>;
beforeEach(() => {
  tmp = temporaryDirectory();
});
afterEach(() => tmp.cleanup());

describe('one writer per log', () => {
  it('refuses a second writer, naming the holder, while readers keep working', () => {
    const writer = EventLog.open(tmp.file(), { writer: 'sluice daemon' });
    writer.writerLock!.setAddress('127.0.0.1:7400');
    writer.append('r1', 0, [healthEvent(1)]);
    let refusal: unknown;
    try {
      EventLog.open(tmp.file(), { writer: 'sluice simulate' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LogLockedError);
    expect(refusal).toMatchObject({ code: 'SLUICE_E_LOG_LOCKED', holder: { pid: process.pid, command: 'sluice daemon', address: '127.0.0.1:7400' } });
    expect((refusal as Error).message).toMatch(new RegExp(`sluice daemon \\(pid ${process.pid} on .* listening on 127\\.0\\.0\\.1:7400`));
    const reader = EventLog.open(tmp.file(), { readonly: true });
    expect([...reader.read('r1')]).toHaveLength(1);
    reader.close();
    // The refused writer wrote nothing, and the holder still appends.
    writer.append('r1', 1, [healthEvent(2)]);
    writer.close();
    expect(existsSync(holderFileOf(tmp.file()))).toBe(false);
    const next = EventLog.open(tmp.file());
    expect(next.nextPosition('r1')).toBe(2);
    next.close();
  });

  it('is released by the kernel when the holder is killed with SIGKILL: no stale lock', async () => {
    const child = spawn(process.execPath, ['--conditions=sluice-source', '--import', 'tsx', HOLDER, tmp.file()], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('holding') ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    expect(() => EventLog.open(tmp.file())).toThrow(expect.objectContaining({ code: 'SLUICE_E_LOG_LOCKED', message: expect.stringContaining(`pid ${child.pid}`) }));
    child.kill('SIGKILL');
    await exited;
    // The holder file stays behind (the process had no chance to remove it) but decides nothing.
    expect(readWriterHolder(tmp.file())?.pid).toBe(child.pid);
    const log = EventLog.open(tmp.file());
    expect(log.nextPosition('held')).toBe(1);
    expect(readWriterHolder(tmp.file())?.pid).toBe(process.pid);
    log.close();
  }, 60_000);
});
