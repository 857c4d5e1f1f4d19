import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, RolloutSession, validateSpec, type RolloutSpec, type TrafficAdapter, type WeightState } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { createLogger } from '../logger.js';
import { eventually, TEST_TOKEN } from '../testing/startTestDaemon.js';
import { ENDED_CACHE_MAX } from './RolloutRuntime.js';

/**
 * A daemon on a log with history: it rebuilds only the rollouts it has to drive, and reads ended ones from the log
 * when asked (issue 12, decision 6).
 */
const T0 = Date.UTC(2026, 0, 1);
const ENDED = 30;
let dir = '';
let daemon: Daemon | undefined;
const applied: { rolloutId: string; desired: WeightState }[] = [];
const headers = { authorization: `Bearer ${TEST_TOKEN}` };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-history-'));
  applied.length = 0;
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function specOf(id: string): RolloutSpec {
  return validateSpec({ id, service: 'svc', baseline: 'v1', candidate: 'v2', window: 1_000, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }, { name: 'all', weightPercent: 100, durationMin: '1h', gates: [] }] });
}

/** Writes rollouts ended every way, two active ones, and one aborted rollout whose 0% was never verified. */
function writeHistory(file: string): void {
  const log = EventLog.open(file);
  try {
    for (let i = 0; i < ENDED; i++) {
      const at = T0 + i * 60_000;
      const session = RolloutSession.create(log, specOf(`old-${i}`), at);
      session.ingest({ type: 'weight.applied', at: at + 1, data: { generation: 1, weightPercent: 10 } });
      if (i % 3 === 0) {
        session.ingest({ type: 'command.issued', at: at + 2, data: { command: 'promoteFull', actor: 'test' } });
        session.ingest({ type: 'weight.applied', at: at + 3, data: { generation: 2, weightPercent: 100 } });
      } else if (i % 3 === 1) {
        session.ingest({ type: 'command.issued', at: at + 2, data: { command: 'rollback', actor: 'test' } });
        session.ingest({ type: 'weight.applied', at: at + 3, data: { generation: 2, weightPercent: 0 } });
      } else {
        session.ingest({ type: 'command.issued', at: at + 2, data: { command: 'abort', actor: 'test' } });
        session.ingest({ type: 'weight.applied', at: at + 3, data: { generation: 2, weightPercent: 0 } });
      }
      expect(session.view.terminal).toBe(true);
    }
    const unsettled = RolloutSession.create(log, specOf('aborted-unapplied'), T0 + ENDED * 60_000);
    unsettled.ingest({ type: 'weight.applied', at: unsettled.view.stageEnteredAt! + 1, data: { generation: 1, weightPercent: 10 } });
    unsettled.ingest({ type: 'command.issued', at: T0 + ENDED * 60_000 + 2, data: { command: 'abort', actor: 'test' } });
    for (const id of ['live-a', 'live-b']) RolloutSession.create(log, specOf(id), Date.now());
  } finally {
    log.close();
  }
}

async function start(file: string): Promise<Daemon> {
  const config = resolveDaemonConfig({ flags: { db: file, listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50, windowMsMin: 100 }, env: {} });
  const adapter = (rolloutId: string): TrafficAdapter => ({
    type: 'recording',
    async apply(desired) {
      applied.push({ rolloutId, desired });
      return { ...desired };
    },
    async read() {
      return applied.findLast((a) => a.rolloutId === rolloutId)?.desired ?? { weightPercent: 0, generation: 0 };
    },
    async health() {
      return { ok: true };
    },
    async close() {},
  });
  daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false, createAdapter: (rollout) => adapter(rollout.id) });
  return daemon;
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${daemon!.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const resident = (): string[] => [...daemon!.runtime.entries()].map((e) => e.id).sort();

describe('a daemon on a log with history', () => {
  it('rebuilds only the rollouts it drives, and applies the 0% an abort left unverified', async () => {
    const file = join(dir, 'sluice.db');
    writeHistory(file);
    await start(file);
    expect(daemon!.recovery).toMatchObject({ rollouts: ENDED + 3, ended: ENDED + 1, loaded: 3, active: 2, quarantined: [] });
    // The aborted rollout was rebuilt for its weight only: once 0% is verified it leaves memory like the others.
    await eventually('the abort applied and released', () => (resident().join() === 'live-a,live-b' ? true : undefined));
    expect(applied.filter((a) => a.rolloutId === 'aborted-unapplied').map((a) => a.desired.weightPercent)).toEqual([0]);
    expect(applied.some((a) => a.rolloutId.startsWith('old-'))).toBe(false);
    // /metrics counts the ended rollouts from the log, not from memory.
    const metrics = await (await fetch(`${daemon!.url}/metrics`, { headers })).text();
    for (const line of ['sluice_rollouts{state="active"} 2', 'sluice_rollouts{state="completed"} 10', 'sluice_rollouts{state="rolledBack"} 10', 'sluice_rollouts{state="aborted"} 11']) {
      expect(metrics).toContain(line);
    }
  });

  it('lists active rollouts in full and ended ones as summaries, newest first, page by page', async () => {
    const file = join(dir, 'sluice.db');
    writeHistory(file);
    await start(file);
    const all = await call('GET', '/v1/rollouts');
    expect(all.status).toBe(200);
    expect(all.body.rollouts.slice(0, 2).map((r: any) => [r.id, r.state.phase, r.summary])).toEqual([['live-a', 'progressing', undefined], ['live-b', 'progressing', undefined]]);
    const ended = all.body.rollouts.slice(2);
    expect(ended.map((r: any) => r.id)).toEqual(['aborted-unapplied', ...Array.from({ length: ENDED }, (_, i) => `old-${ENDED - 1 - i}`)]);
    expect(ended[1]).toMatchObject({ id: 'old-29', summary: true, service: 'svc', state: { phase: 'aborted', terminal: true, outcome: 'aborted', endedAt: T0 + 29 * 60_000 + 2 } });
    expect(ended.find((r: any) => r.id === 'old-27')).toMatchObject({ state: { phase: 'completed', desiredWeightPercent: 100, appliedWeightPercent: 100 } });
    expect(ended.find((r: any) => r.id === 'old-28')).toMatchObject({ state: { phase: 'rolledBack', appliedWeightPercent: 0 } });
    expect(all.body.next).toBeNull();

    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { body }: { body: Record<string, any> } = await call('GET', `/v1/rollouts?state=ended&limit=7${before ? `&before=${before}` : ''}`);
      expect(body.rollouts.length).toBeLessThanOrEqual(7);
      seen.push(...body.rollouts.map((r: any) => r.id));
      before = body.next;
      if (before === null) break;
    }
    expect(seen).toEqual(ended.map((r: any) => r.id));
    expect((await call('GET', '/v1/rollouts?state=active')).body.rollouts.map((r: any) => r.id)).toEqual(['live-a', 'live-b']);
    for (const bad of ['state=old', 'limit=-1', 'limit=100000', 'before=x']) {
      expect(await call('GET', `/v1/rollouts?${bad}`), bad).toMatchObject({ status: 400, body: { error: { code: 'SLUICE_E_BODY_INVALID' } } });
    }
  });

  it('reads an ended rollout from the log when asked, without keeping it among the rollouts it drives', async () => {
    const file = join(dir, 'sluice.db');
    writeHistory(file);
    await start(file);
    await eventually('settled', () => (resident().length === 2 ? true : undefined));
    const one = await call('GET', '/v1/rollouts/old-3');
    expect(one).toMatchObject({ status: 200, body: { rollout: { id: 'old-3', state: { phase: 'completed', appliedWeightPercent: 100, lastVerdicts: {} } } } });
    expect(await call('GET', '/v1/rollouts/old-4/events?from=0&limit=2')).toMatchObject({ status: 200, body: { events: [{ type: 'rollout.created' }, { type: 'stage.entered' }], next: 2 } });
    expect(await call('POST', '/v1/rollouts/old-5/samples', undefined)).toMatchObject({ status: 409, body: { error: { code: 'SLUICE_E_ROLLOUT_TERMINAL' } } });
    // A command to an ended rollout is recorded and rejected by its machine, as before.
    const rejected = await call('POST', '/v1/rollouts/old-6/commands/pause', {});
    expect(rejected).toMatchObject({ status: 409, body: { error: { code: 'SLUICE_E_COMMAND_REJECTED' } } });
    expect([...daemon!.log.read('old-6')].at(-1)).toMatchObject({ type: 'command.rejected' });
    // Ids stay unique for ever: the same spec again is the ended rollout, another spec is a conflict.
    expect(await call('POST', '/v1/rollouts', specOf('old-7'))).toMatchObject({ status: 200, body: { created: false, rollout: { id: 'old-7', state: { phase: 'rolledBack' } } } });
    const conflict = { ...specOf('old-7'), candidate: 'v3' };
    expect(await call('POST', '/v1/rollouts', conflict)).toMatchObject({ status: 409, body: { error: { code: 'SLUICE_E_SPEC_CONFLICT' } } });
    expect(await call('GET', '/v1/rollouts/never-was')).toMatchObject({ status: 404, body: { error: { code: 'SLUICE_E_ROLLOUT_NOT_FOUND' } } });
    // Reading many ended rollouts keeps a bounded cache, and none of them becomes a rollout the daemon drives.
    for (let i = 0; i < ENDED_CACHE_MAX + 5; i++) expect((await call('GET', `/v1/rollouts/old-${i}`)).status).toBe(200);
    expect(resident()).toEqual(['live-a', 'live-b']);
  });

  it('lets a rollout that ends while it runs leave memory once its final weight is verified', async () => {
    const file = join(dir, 'sluice.db');
    writeHistory(file);
    await start(file);
    await eventually('live-a applied', () => (applied.some((a) => a.rolloutId === 'live-a') ? true : undefined));
    expect((await call('POST', '/v1/rollouts/live-a/commands/abort', { reason: 'test' })).status).toBe(200);
    await eventually('live-a released', () => (resident().join() === 'live-b' ? true : undefined));
    expect(applied.filter((a) => a.rolloutId === 'live-a').at(-1)?.desired.weightPercent).toBe(0);
    expect(await call('GET', '/v1/rollouts/live-a')).toMatchObject({ status: 200, body: { rollout: { state: { phase: 'aborted', appliedWeightPercent: 0 } } } });
    const listed = (await call('GET', '/v1/rollouts')).body.rollouts.map((r: any) => [r.id, r.state.phase]);
    expect(listed.slice(0, 2)).toEqual([['live-b', 'progressing'], ['live-a', 'aborted']]);
  });
});
