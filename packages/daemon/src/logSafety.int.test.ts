import Database from 'better-sqlite3';
import { EventLog, parseSpecText, replay, RolloutSession, verifyLog } from '@sluice/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient } from './client/DaemonClient.js';
import { resolveDaemonConfig, type DaemonConfigInput } from './config/daemonConfig.js';
import { Daemon } from './Daemon.js';
import { createLogger } from './logger.js';
import { runCli } from './testing/runCli.js';
import { eventually, TEST_TOKEN } from './testing/startTestDaemon.js';

/**
 * One writer per log, read-only inspection and quarantine, on the real daemon (issue 11):
 * - a second daemon on the same file is refused naming the first one's pid and address, while read-only commands work;
 * - `--read-only` serves a log that does not verify for inspection and refuses every write;
 * - a rollout whose stored spec cannot be run any more is quarantined and the others run.
 */
let dir = '';
let db = '';
const daemons: Daemon[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-safety-'));
  db = join(dir, 'sluice.db');
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (id: string, window = 200): string =>
  JSON.stringify({ id, service: 'checkout', baseline: 'v1', candidate: 'v2', window, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 20 }] }] });

async function start(overrides: Partial<DaemonConfigInput> = {}): Promise<Daemon> {
  const config = resolveDaemonConfig({ flags: { db, listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 20, windowMsMin: 100, ...overrides }, env: {} });
  const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
  daemons.push(daemon);
  return daemon;
}

describe('one writer per log', () => {
  it('refuses a second daemon and a writing CLI command, naming the holder; read-only commands keep working', async () => {
    const first = await start();
    const client = new DaemonClient({ url: first.url, token: TEST_TOKEN });
    expect((await client.createRollout(spec('alpha'))).status).toBe(201);
    await expect(start()).rejects.toMatchObject({
      code: 'SLUICE_E_CONFIG_INVALID',
      message: expect.stringMatching(new RegExp(`already open for writing by sluice daemon \\(pid ${process.pid} on .* listening on ${first.address.replace(/[.[\]]/g, '\\$&')}`)),
    });
    // The refused daemon changed nothing: the first one still appends and answers.
    expect((await client.postSamples('alpha', '{"variant":"canary","ok":true,"latencyMs":5}')).status).toBe(200);
    // Readers work beside the writer.
    const verify = await runCli('verify', '--db', db);
    expect(verify.code).toBe(0);
    const status = await runCli('status', '--db', db, 'alpha');
    expect(status.code).toBe(0);
    // A CLI command that writes to the file is refused the same way (exit 2), and writes nothing.
    writeFileSync(join(dir, 'spec.yaml'), 'id: sim\nservice: shop\nbaseline: v1\ncandidate: v2\nstages:\n  - name: canary\n    weightPercent: 10\n    durationMin: 5m\n');
    writeFileSync(join(dir, 'traffic.json'), JSON.stringify({ seed: 1, durationMs: 60_000, requestsPerSecond: 10, baseline: { errorRate: 0.01, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } }, canary: { errorRate: 0.01, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } } }));
    const simulate = await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'traffic.json'), '--db', db);
    expect(simulate.code).toBe(2);
    expect(simulate.err).toMatch(new RegExp(`already open for writing by sluice daemon \\(pid ${process.pid} .*listening on`));
    expect((await runCli('status', '--db', db, 'sim')).code).not.toBe(0);
    // A daemon started --read-only takes no lock: it can inspect the live file too.
    const inspector = await start({ readOnly: true });
    const answer = await fetch(`${inspector.url}/v1/rollouts/alpha`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(answer.status).toBe(200);
  });
});

describe('--read-only', () => {
  it('serves a log that does not verify, refuses every write, and leaves the file as it was', async () => {
    const writer = await start();
    const client = new DaemonClient({ url: writer.url, token: TEST_TOKEN });
    expect((await client.createRollout(spec('alpha'))).status).toBe(201);
    await writer.stop();
    daemons.splice(0);
    const raw = new Database(db);
    raw.exec(`DROP TRIGGER events_refuse_update; UPDATE events SET at = at + 1 WHERE rollout_id = 'alpha' AND position = 0`);
    const before = (raw.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    raw.close();

    await expect(start()).rejects.toMatchObject({ code: 'SLUICE_E_CONFIG_INVALID', message: expect.stringMatching(/does not verify — rollout alpha position 0/) });
    const inspector = await start({ readOnly: true });
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    const ready = await fetch(`${inspector.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, readOnly: true, recovery: { integrity: { state: 'broken', broken: { rolloutId: 'alpha', position: 0 } } } });
    expect((await fetch(`${inspector.url}/v1/rollouts/alpha`, { headers })).status).toBe(200);
    const head = await (await fetch(`${inspector.url}/v1/log/head`, { headers })).json();
    expect(head).toMatchObject({ seq: before, link: expect.stringMatching(/^[0-9a-f]{64}$/), integrity: 'broken', readOnly: true });
    for (const [path, body] of [
      ['/v1/rollouts', spec('beta')],
      ['/v1/rollouts/alpha/samples', '{"variant":"canary","ok":true,"latencyMs":5}'],
      ['/v1/rollouts/alpha/commands/pause', '{}'],
    ] as const) {
      const refused = await fetch(`${inspector.url}${path}`, { method: 'POST', headers, body });
      expect(refused.status, path).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'SLUICE_E_LOG_READ_ONLY' } });
    }
    const metrics = await (await fetch(`${inspector.url}/metrics`, { headers })).text();
    expect(metrics).toMatch(/^sluice_read_only 1$/m);
    expect(metrics).toMatch(/^sluice_log_chain_broken 1$/m);
    await inspector.stop();
    daemons.splice(0);
    const after = new Database(db, { readonly: true });
    expect((after.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(before);
    after.close();
  });
});

describe('quarantine', () => {
  it('sets aside a rollout whose stored spec cannot be run and runs the others', async () => {
    // A log written by an older build that accepted `window: 0` (issue 11): appended through EventLog, so it verifies.
    const log = EventLog.open(db);
    const bad = { ...parseSpecText(spec('legacy', 1_000), 'test'), window: 0 };
    log.append('legacy', 0, [{ type: 'rollout.created', at: Date.now(), data: { spec: bad } }]);
    log.close();
    const daemon = await start();
    const client = new DaemonClient({ url: daemon.url, token: TEST_TOKEN });
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ recovery: { quarantined: [{ rolloutId: 'legacy', code: 'SLUICE_E_SAMPLE_INVALID', reason: expect.stringMatching(/window length/) }] } });
    // The others run: a new rollout is created and takes samples.
    expect((await client.createRollout(spec('fresh'))).status).toBe(201);
    expect((await client.postSamples('fresh', '{"variant":"canary","ok":true,"latencyMs":5}')).status).toBe(200);
    const list = await client.listRollouts();
    expect(list.body).toMatchObject({ rollouts: [{ id: 'fresh' }], quarantined: [{ rolloutId: 'legacy' }] });
    writeFileSync(join(dir, 'token'), `${TEST_TOKEN}\n`);
    const status = await runCli('status', '--url', daemon.url, '--token-file', join(dir, 'token'));
    expect(status.out).toMatch(/QUARANTINED legacy: SLUICE_E_SAMPLE_INVALID: .*window length/);
    // Its id stays taken, and reading it says why it is not running.
    await expect(client.createRollout(spec('legacy'))).rejects.toMatchObject({ message: expect.stringMatching(/409 SLUICE_E_SPEC_CONFLICT: rollout "legacy" exists in the log but is quarantined/) });
    const one = await fetch(`${daemon.url}/v1/rollouts/legacy`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(one.status).toBe(409);
    expect(await one.json()).toMatchObject({ error: { code: 'SLUICE_E_ROLLOUT_QUARANTINED' } });
    expect(await (await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text()).toMatch(/^sluice_rollouts_quarantined 1$/m);
  });
});

describe('adding a chain key to a running deployment', () => {
  it('keys the log from the next row on and keeps the journal rows acknowledged before, sealed again under the key', async () => {
    const keyFile = join(dir, 'chain.key');
    writeFileSync(keyFile, 'a-chain-key-for-the-logsafety-test-0123456789\n');
    const unkeyed = await start();
    const client = new DaemonClient({ url: unkeyed.url, token: TEST_TOKEN });
    expect((await client.createRollout(spec('alpha'))).status).toBe(201);
    // Dated two windows ahead: still open at stop, so they wait in the journal, sealed with the journal key file.
    const ahead = Date.now() + 400;
    const lines = Array.from({ length: 10 }, () => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 5, at: ahead })).join('\n');
    expect((await client.postSamples('alpha', lines)).body).toMatchObject({ accepted: 10 });
    await unkeyed.stop();
    daemons.splice(0);
    const keyed = await start({ chainKeyFile: keyFile });
    expect(keyed.recovery).toMatchObject({ journalRowsReplayed: 1, samplesReplayed: 10 });
    expect(keyed.logHead()).toMatchObject({ keyed: { keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    // A row written under the key.
    await new DaemonClient({ url: keyed.url, token: TEST_TOKEN }).command('alpha', 'pause', { reason: 'keyed now' });
    await keyed.stop();
    daemons.splice(0);
    expect((await runCli('verify', '--db', db, '--chain-key-file', keyFile)).code).toBe(0);
    const withoutKey = await runCli('verify', '--db', db, '--json');
    expect(JSON.parse(withoutKey.out)).toMatchObject({ ok: true, keyed: { checked: false } });
  });
});

describe('the background verification', () => {
  it('finds an edit before the last checkpoint after the daemon is ready, and stops every write', async () => {
    const first = await start();
    const client = new DaemonClient({ url: first.url, token: TEST_TOKEN });
    expect((await client.createRollout(spec('alpha'))).status).toBe(201);
    await first.stop();
    daemons.splice(0);
    // The next start verifies the whole log (no checkpoint yet) and writes one at its head.
    const second = await start();
    expect(second.logHead()).toMatchObject({ integrity: 'verified' });
    await second.stop();
    daemons.splice(0);
    const raw = new Database(db);
    raw.exec(`DROP TRIGGER events_refuse_update; UPDATE events SET at = at + 1 WHERE rollout_id = 'alpha' AND position = 0`);
    raw.close();
    // Nothing after the checkpoint: the start is ready at once, and the pass over the older rows finds the edit.
    const third = await start();
    const headers = { authorization: `Bearer ${TEST_TOKEN}` };
    const ready = await eventually('the background verification to find the edit', async () => {
      const answer = await fetch(`${third.url}/readyz`);
      return answer.status === 503 ? ((await answer.json()) as Record<string, unknown>) : undefined;
    });
    expect(ready).toMatchObject({ readOnly: true, reason: expect.stringMatching(/does not verify \(rollout alpha position 0/) });
    const refused = await fetch(`${third.url}/v1/rollouts`, { method: 'POST', headers, body: spec('beta') });
    expect(refused.status).toBe(503);
    expect((await fetch(`${third.url}/v1/rollouts/alpha`, { headers })).status).toBe(200);
  });
});

describe('an ended rollout whose last windows were not logged', () => {
  it('logs the acknowledged samples of its open windows at the next start instead of dropping them', async () => {
    const daemon = await start();
    const client = new DaemonClient({ url: daemon.url, token: TEST_TOKEN });
    expect((await client.createRollout(spec('alpha'))).status).toBe(201);
    // Dated two windows ahead: still open when the daemon stops, so they wait in the ingest journal.
    const ahead = Date.now() + 400;
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ variant: i % 2 ? 'canary' : 'baseline', ok: true, latencyMs: 5, at: ahead })).join('\n');
    expect((await client.postSamples('alpha', lines)).body).toMatchObject({ accepted: 30 });
    const windowedBefore = [...daemon.log.read('alpha')].reduce((n, e) => (e.type === 'samples.window' ? n + e.data.baseline.count + e.data.canary.count : n), 0);
    await daemon.stop();
    daemons.splice(0);
    // What a daemon killed between a rollout's end and the append of its last windows leaves: the end is in the log
    // (appended with its decisions, as the daemon does), the acknowledged samples only in the journal.
    const log = EventLog.open(db);
    RolloutSession.load(log, 'alpha').ingest({ type: 'command.issued', at: Date.now(), data: { command: 'abort', actor: 'test', reason: 'killed right after' } });
    log.close();
    const restarted = await start();
    expect(restarted.recovery).toMatchObject({ journalRowsReplayed: expect.any(Number), samplesReplayed: 30, journalRowsKept: 0 });
    const events = [...restarted.log.read('alpha')];
    const windowed = events.reduce((n, e) => (e.type === 'samples.window' ? n + e.data.baseline.count + e.data.canary.count : n), 0);
    expect(windowed - windowedBefore).toBe(30);
    expect(events.findIndex((e) => e.type === 'aborted')).toBeLessThan(events.length - 1);
    await restarted.stop();
    daemons.splice(0);
    const reader = EventLog.open(db, { readonly: true });
    expect(verifyLog(reader).ok).toBe(true);
    expect(replay(reader, 'alpha').divergenceCount).toBe(0);
    reader.close();
  });
});
