import Database from 'better-sqlite3';
import { EventLog } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../main.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-verify-'));
  file = join(dir, 'events.db');
  const log = EventLog.open(file);
  log.append('checkout', 0, [
    { type: 'health.checked', at: 1_000, data: { ok: true } },
    { type: 'paused', at: 2_000, data: { reason: 'operator' } },
    { type: 'resumed', at: 3_000, data: {} },
  ]);
  log.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = await main(argv, io);
  return { code, out, err };
}

function editRow(sql: string): void {
  const raw = new Database(file);
  raw.exec('DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;');
  raw.exec(sql);
  raw.close();
}

describe('sluice verify', () => {
  it('exits 0 on an intact log', async () => {
    const { code, out } = await run('verify', '--db', file);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok: .*1 rollout\(s\), 3 event\(s\), every hash chain verifies/);
  });

  it('exits 1 naming rollout and position when someone dropped the triggers and edited a row', async () => {
    editRow(`UPDATE events SET data = '{"reason":"nothing happened"}' WHERE position = 1`);
    const { code, out } = await run('verify', '--db', file);
    expect(code).toBe(1);
    expect(out).toMatch(/BROKEN: .*: rollout checkout position 1: hash does not match/);
  });

  it('prints one JSON object with --json', async () => {
    const intact = await run('verify', '--db', file, '--json');
    expect(JSON.parse(intact.out)).toEqual({ ok: true, file, rollouts: 1, events: 3 });
    editRow(`DELETE FROM events WHERE position = 0`);
    const broken = await run('verify', '--db', file, '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out)).toMatchObject({ ok: false, broken: { rolloutId: 'checkout', position: 0, seq: 2 } });
  });

  it('exits 2 with a clear message when the file does not exist', async () => {
    const { code, err } = await run('verify', '--db', join(dir, 'missing.db'));
    expect(code).toBe(2);
    expect(err).toMatch(/no event log at .*missing\.db: the file does not exist/);
    const json = await run('verify', '--db', join(dir, 'missing.db'), '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/does not exist/) } });
  });

  it('exits 2 when --db is missing', async () => {
    const { code, err } = await run('verify');
    expect(code).toBe(2);
    expect(err).toMatch(/--db/);
  });
});
