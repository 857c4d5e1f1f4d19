import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, verifyLog, type AnyStoredEvent } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from './client/DaemonClient.js';
import { spawnDaemon, type SpawnedDaemon } from './testing/spawnDaemon.js';
import { eventually } from './testing/startTestDaemon.js';

/**
 * Crash recovery, on the real daemon process: acknowledged samples survive a SIGKILL (they are in the ingest journal
 * until their window is in the log), every rollout is rebuilt from the log on restart, and the rollout ends as an
 * uninterrupted run of the same inputs ends. Waits are bounded polls of the API, never sleeps standing in for logic.
 */
const TOKEN = 'crash-test-token-0123456789abcdef';
const BATCHES_HEALTHY = 12;
const BATCH_SIZE = 100;
const WAIT_MS_MAX = 30_000;
const CRASH_AFTER_BATCH = Math.floor(BATCHES_HEALTHY / 2);

const spec = (id: string) =>
  JSON.stringify({
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: 400,
    // One long stage: the rollout cannot end by itself while the healthy samples arrive, so every acknowledged
    // sample must show up in a closed window; then a catastrophic batch trips the breaker.
    stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 20 }] }],
  });

function batch(errorsEvery: number, at?: number): string {
  const lines: string[] = [];
  for (let i = 0; i < BATCH_SIZE; i++) lines.push(JSON.stringify({ variant: i % 2 === 0 ? 'canary' : 'baseline', ok: i % errorsEvery !== 0, latencyMs: 5 + (i % 17), at }));
  return lines.join('\n');
}

const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => eventually(what, probe, WAIT_MS_MAX);

async function allEvents(client: DaemonClient, id: string): Promise<AnyStoredEvent[]> {
  const events: AnyStoredEvent[] = [];
  for (let from = 0; ; ) {
    const { body } = await client.events(id, from, 10_000);
    events.push(...body.events);
    if (body.events.length < 10_000) return events;
    from = body.next;
  }
}

const windowSum = (events: AnyStoredEvent[]): number =>
  events.reduce((sum, e) => (e.type === 'samples.window' ? sum + e.data.baseline.count + e.data.canary.count : sum), 0);

interface RunResult {
  acked: number;
  /** Samples the restarted daemon replayed from the ingest journal. */
  replayed: number;
  windowedBeforeBreach: number;
  phase: string;
  rollback: unknown;
  decisions: string[];
  db: string;
}

async function runScenario(dir: string, id: string, crashAfterBatch: number | null): Promise<RunResult> {
  const db = join(dir, `${id}.db`);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const args = ['--db', db, '--token-file', tokenFile, '--tick-ms', '50', '--window-grace-ms', '100', '--log-level', 'warn'];
  let daemon: SpawnedDaemon = await spawnDaemon(args);
  daemons.push(daemon);
  let client = new DaemonClient({ url: daemon.url, token: TOKEN });
  expect((await client.createRollout(spec(id))).status).toBe(201);
  let acked = 0;
  let replayed = 0;
  for (let i = 0; i < BATCHES_HEALTHY; i++) {
    // The middle batch is dated in the next window, so its window is certainly still open when the kill comes.
    const answer = await client.postSamples(id, batch(50, i === CRASH_AFTER_BATCH ? Date.now() + 400 : undefined));
    expect(answer.status).toBe(200);
    acked += Number(answer.body.accepted);
    if (i === crashAfterBatch) {
      // Acknowledged samples of still-open windows exist only in the journal and in memory now.
      await daemon.kill('SIGKILL');
      daemon = await spawnDaemon(args);
      daemons.push(daemon);
      client = new DaemonClient({ url: daemon.url, token: TOKEN });
      const ready = await until('readiness', async () => {
        const response = await fetch(`${daemon.url}/readyz`);
        return response.status === 200 ? ((await response.json()) as { recovery: { samplesReplayed: number } }) : undefined;
      });
      replayed = ready.recovery.samplesReplayed;
    }
  }
  const windowedBeforeBreach = await until('every acknowledged sample in a closed window', async () => {
    const sum = windowSum(await allEvents(client, id));
    return sum >= acked ? sum : undefined;
  });
  // A catastrophic canary: half the requests fail, far above the 20% breaker.
  await client.postSamples(id, batch(2));
  const state = await until('the rollback to finish', async () => {
    const { body } = await client.getRollout(id);
    const s = body.rollout.state as { terminal: boolean; phase: string; rollback: { reason: string; gate?: string } | null };
    return s.terminal ? s : undefined;
  });
  const decisions = (await allEvents(client, id)).filter((e) => ['stage.entered', 'rollback.started', 'rollback.completed', 'completed', 'aborted'].includes(e.type)).map((e) => e.type);
  await daemon.kill('SIGTERM');
  return { acked, replayed, windowedBeforeBreach, phase: state.phase, rollback: { reason: state.rollback?.reason, gate: state.rollback?.gate }, decisions, db };
}

const daemons: SpawnedDaemon[] = [];
let dir = '';

afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('crash recovery of the daemon process', () => {
  it('keeps every acknowledged sample across SIGKILL and ends the rollout as an uninterrupted run does', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
    const uninterrupted = await runScenario(dir, 'steady', null);
    const crashed = await runScenario(dir, 'crashed', CRASH_AFTER_BATCH);
    // The kill really hit acknowledged samples that were only in the journal: at least the whole dated batch.
    expect(crashed.replayed).toBeGreaterThanOrEqual(BATCH_SIZE);

    for (const run of [uninterrupted, crashed]) {
      expect(run.acked).toBe(BATCHES_HEALTHY * BATCH_SIZE);
      // Exactly once: no acknowledged sample lost, none counted twice (the journal rows of logged windows are dropped).
      expect(run.windowedBeforeBreach).toBe(run.acked);
      const log = EventLog.open(run.db, { readonly: true });
      try {
        expect(verifyLog(log).ok).toBe(true);
      } finally {
        log.close();
      }
    }
    expect(crashed.phase).toBe('rolledBack');
    expect(crashed.phase).toBe(uninterrupted.phase);
    expect(crashed.rollback).toEqual(uninterrupted.rollback);
    expect(crashed.decisions).toEqual(uninterrupted.decisions);
    // A bound for a loaded CI machine (four daemon processes start from TypeScript sources), not a timing assertion.
  }, 240_000);
});
