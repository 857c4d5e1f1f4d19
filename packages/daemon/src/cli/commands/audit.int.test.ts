import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAuditLogs } from '../audit/auditLogs.fixture.js';
import { runCli } from '../../testing/runCli.js';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-audit-'));
  file = join(dir, 'events.db');
  writeAuditLogs(file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('sluice audit', () => {
  it('lists every rollout with its outcome, times and reason', async () => {
    const { code, out } = await run('audit', '--db', file);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok\s+completed\s+2026-01-01T00:00:00\.000Z\s+2026-01-01T\S+Z\s+completed from stage full$/m);
    expect(out).toMatch(/^bad\s+rolledBack\s+.*rolled back from stage canary \(gate compareErrorRate\): canary error rate/m);
    expect(out).toMatch(/^held\s+aborted\s+.*aborted in stage canary: aborted by cli:alice: the candidate fails; aborting$/m);
    const json = JSON.parse((await run('audit', '--db', file, '--json')).out);
    expect(json).toMatchObject({ ok: true, file, rollouts: [{ rolloutId: 'ok', outcome: 'completed' }, { rolloutId: 'bad', outcome: 'rolledBack', stage: 'canary' }, { rolloutId: 'held', outcome: 'aborted' }] });
  });

  it('prints a rolled-back rollout as a timeline ending with the gate, its numbers and the time to verified 0', async () => {
    const { code, out } = await run('audit', '--db', file, 'bad');
    expect(code).toBe(0);
    expect(out).toContain('rollout   bad — checkout: v1 → v2');
    expect(out).toContain('plan      1. canary 10% — min 1m, max 11m, on fail rollback, approval manual; gates errorRate, compareErrorRate');
    expect(out).toMatch(/^ {2}\S+Z {2}command {6}pause by cli:alice: checking dashboards$/m);
    expect(out).toMatch(/^ {2}\S+Z {2}ROLLBACK {5}rollback from canary, reason gate \(gate compareErrorRate\)/m);
    expect(out).toContain('ending: rolled back');
    expect(out).toMatch(/numbers {3}statistic=mixture likelihood ratio .* alpha=0\.001/);
    expect(out).toMatch(/bound=1000/);
    expect(out).toMatch(/0% verified at \S+Z — [\d.]+s after the first failing verdict, [\d.]+s after the decision/);
    expect(out).toMatch(/canary \/ compareErrorRate: \d+ evaluation\(s\): 0 pass, 1 fail, \d+ inconclusive/);
  });

  it('prints the timeline as documented JSON', async () => {
    const { code, out } = await run('audit', '--db', file, 'ok', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ ok: true, file, rollout: { rolloutId: 'ok', outcome: 'completed', ending: { outcome: 'completed', finalWeightPercent: 100 } } });
    expect(json.rollout.entries[0]).toMatchObject({ at: '2026-01-01T00:00:00.000Z', position: 0, kind: 'created' });
  });

  it('with --at shows the state at that moment and the decision nearest to it', async () => {
    const rollback = JSON.parse((await run('audit', '--db', file, 'bad', '--json')).out).rollout.ending.at as string;
    const clock = rollback.slice(11, 19);
    const { code, out } = await run('audit', '--db', file, 'bad', '--at', clock);
    expect(code).toBe(0);
    expect(out).toContain(`rollout bad at ${rollback}`);
    expect(out).toMatch(/^phase {5}rollingBack$/m);
    expect(out).toMatch(/nearest decision \(at that moment\):\n {2}\S+Z {2}ROLLBACK/);
    const json = JSON.parse((await run('audit', '--db', file, 'bad', '--at', rollback, '--json')).out);
    expect(json.moment).toMatchObject({ at: rollback, nearest: { kind: 'rollbackStarted', offsetMs: 0 }, rollout: { state: { phase: 'rollingBack' } } });
  });

  it('opens the log read-only: the file is unchanged and still verifies', async () => {
    const before = digest(file);
    await run('audit', '--db', file, 'bad');
    await run('audit', '--db', file, 'bad', '--at', '00:00:30');
    expect(digest(file)).toBe(before);
    expect((await run('verify', '--db', file)).code).toBe(0);
  });

  it('exits 2 with a clear message for a missing file, a file that is not a Sluice log, an unknown id and a bad --at', async () => {
    const missing = await run('audit', '--db', join(dir, 'missing.db'));
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('does not exist') });
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, just some text that is long enough to have a header\n'.repeat(10));
    expect(await run('audit', '--db', text)).toMatchObject({ code: 2, err: expect.stringContaining('not a Sluice event log') });
    const other = join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE t (x INTEGER)');
    expect(await run('audit', '--db', other)).toMatchObject({ code: 2, err: expect.stringContaining('not a Sluice event log') });
    const unknown = await run('audit', '--db', file, 'nope', '--json');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.out)).toMatchObject({ ok: false, error: { code: 'SLUICE_E_ROLLOUT_NOT_FOUND', message: expect.stringContaining('it holds: ok, bad, held') } });
    const badTime = await run('audit', '--db', file, 'bad', '--at', 'teatime', '--json');
    expect(badTime.code).toBe(2);
    expect(JSON.parse(badTime.out)).toMatchObject({ error: { code: 'SLUICE_E_ARGUMENT_INVALID', message: expect.stringContaining('HH:MM[:SS]') } });
    expect(await run('audit', '--db', file, 'bad', '--at', '2025-12-31T23:00:00Z')).toMatchObject({ code: 2, err: expect.stringContaining('before rollout "bad" was created') });
    expect(await run('audit', '--db', file, '--at', '00:00:30')).toMatchObject({ code: 2, err: expect.stringContaining('--at needs a rollout ID') });
  });
});

describe('sluice events and status with --db (offline)', () => {
  it('prints a rollout’s events from the log, as from the daemon', async () => {
    const { code, out } = await run('events', 'bad', '--db', file, '--from', '1');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^ {4}1 {2}2026-01-01T00:00:00\.000Z {2}stage\.entered/);
    expect(out).toMatch(/rollback\.completed/);
    const lines = (await run('events', 'bad', '--db', file, '--json')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ rolloutId: 'bad', position: 0, type: 'rollout.created' });
    expect(await run('events', 'nope', '--db', file)).toMatchObject({ code: 2, err: expect.stringContaining('it holds: ok, bad, held') });
    expect(await run('events', 'bad', '--db', file, '--follow')).toMatchObject({ code: 2, err: expect.stringContaining('--follow') });
  });

  it('rebuilds status from the log: every rollout, or one in detail', async () => {
    const all = await run('status', '--db', file);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^ok\s+completed\s+full \(2\/2\)/m);
    expect(all.out).toMatch(/^bad\s+rolledBack\s+canary \(1\/2\)\s+\[-+\]\s+0\.00%$/m);
    const one = await run('status', 'bad', '--db', file);
    expect(one.out).toMatch(/^phase {5}rolledBack$/m);
    expect(one.out).toMatch(/^rollback {2}gate \(compareErrorRate\): /m);
    const json = JSON.parse((await run('status', 'bad', '--db', file, '--json')).out);
    expect(json).toMatchObject({ id: 'bad', service: 'checkout', state: { phase: 'rolledBack', appliedWeightPercent: 0, terminal: true } });
    expect(await run('status', '--db', join(dir, 'missing.db'))).toMatchObject({ code: 2 });
    expect(await run('status', '--db', file, '--url', 'http://127.0.0.1:1')).toMatchObject({ code: 2, err: expect.stringContaining('give one of them') });
  });
});
