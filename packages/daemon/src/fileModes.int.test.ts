import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from './client/DaemonClient.js';
import { eventually } from './testing/eventually.js';
import { spawnDaemon, type SpawnedDaemon } from './testing/spawnDaemon.js';

const TOKEN = 'file-modes-token-0123456789';
let daemon: SpawnedDaemon | undefined;
let dir: string | undefined;
afterEach(async () => {
  await daemon?.kill('SIGTERM');
  daemon = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('files the daemon creates', () => {
  it('are readable by their owner only: the log, its WAL and shared-memory files, and the directory made for it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-modes-'));
    const db = join(dir, 'logs', 'sluice.db');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    daemon = await spawnDaemon(['--db', db, '--token-file', tokenFile, '--log-level', 'warn']);
    const client = new DaemonClient({ url: daemon.url, token: TOKEN });
    const created = await client.createRollout(JSON.stringify({ id: 'modes', service: 's', baseline: '1', candidate: '2', window: '1s' }));
    expect(created.status).toBe(201);
    await eventually('the WAL file', () => (existsSync(`${db}-wal`) ? true : undefined));
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      // Before: 0644 (world-readable) under the usual umask 022.
      expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    }
    expect((statSync(join(dir, 'logs')).mode & 0o077).toString(8)).toBe('0');
  });
});
