import Database from 'better-sqlite3';
import { EventLog } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/runCli.js';

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


function editRow(sql: string): void {
  const raw = new Database(file);
  raw.exec('DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;');
  raw.exec(sql);
  raw.close();
}

describe('sluice verify', () => {
  it('exits 0 on an intact log', async () => {
    const { code, out } = await runCli('verify', '--db', file);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok: .*1 rollout\(s\), 3 event\(s\), every chain verifies/);
  });

  it('exits 1 naming rollout and position when someone dropped the triggers and edited a row', async () => {
    editRow(`UPDATE events SET data = '{"reason":"nothing happened"}' WHERE position = 1`);
    const { code, out } = await runCli('verify', '--db', file);
    expect(code).toBe(1);
    expect(out).toMatch(/BROKEN: .*: rollout checkout position 1 \(sequence 2\): hash does not match/);
  });

  it('prints one JSON object with --json', async () => {
    const intact = await runCli('verify', '--db', file, '--json');
    expect(JSON.parse(intact.out)).toEqual({ ok: true, file, rollouts: 1, events: 3, head: { seq: 3, link: expect.stringMatching(/^[0-9a-f]{64}$/) }, journal: { rows: 0, checked: false } });
    editRow(`DELETE FROM events WHERE position = 0`);
    const broken = await runCli('verify', '--db', file, '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out)).toMatchObject({ ok: false, broken: { rolloutId: 'checkout', position: 0, seq: 2 } });
  });

  it('exits 2 with a clear message when the file does not exist', async () => {
    const { code, err } = await runCli('verify', '--db', join(dir, 'missing.db'));
    expect(code).toBe(2);
    expect(err).toMatch(/no event log at .*missing\.db: the file does not exist/);
    const json = await runCli('verify', '--db', join(dir, 'missing.db'), '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/does not exist/) } });
  });

  it('exits 2 when --db is missing', async () => {
    const { code, err } = await runCli('verify');
    expect(code).toBe(2);
    expect(err).toMatch(/--db/);
  });
});
