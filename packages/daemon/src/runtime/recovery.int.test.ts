import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyStoredEvent } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { IngestJournal } from '../ingest/IngestJournal.js';
import { createLogger } from '../logger.js';
import { eventually, startTestDaemon, TEST_TOKEN } from '../testing/startTestDaemon.js';

const WINDOW_MS = 200;
let dir = '';
let restarted: Daemon | undefined;
afterEach(async () => {
  await restarted?.stop();
  restarted = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const windowCounts = (events: AnyStoredEvent[]): Map<number, number> => {
  const counts = new Map<number, number>();
  for (const e of events) if (e.type === 'samples.window') counts.set(e.data.windowStartAt, (counts.get(e.data.windowStartAt) ?? 0) + e.data.canary.count + e.data.baseline.count);
  return counts;
};

describe('recovery of the ingest journal', () => {
  it('drops rows of windows the log already holds and replays the others, so no sample counts twice', async () => {
    const first = await startTestDaemon();
    dir = first.dir;
    const { daemon, headers } = first;
    const spec = { id: 'j', service: 'svc', baseline: 'v1', candidate: 'v2', window: WINDOW_MS, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }] };
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    const body = Array.from({ length: 30 }, () => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 4 })).join('\n');
    await fetch(`${daemon.url}/v1/rollouts/j/samples`, { method: 'POST', headers, body });
    const [loggedStart, loggedCount] = await eventually('the window in the log', () => [...windowCounts([...daemon.log.read('j')])][0]);
    expect(loggedCount).toBe(30);
    await daemon.stop();

    // What a crash leaves behind: the rows of a window already appended (crash before the discard), and the rows of
    // a newer window whose samples were acknowledged but not yet judged.
    const journal = IngestJournal.open(join(dir, 'sluice.db'));
    const pendingStart = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 10 * WINDOW_MS;
    journal.write([
      { rolloutId: 'j', windowStartAt: loggedStart, variant: 'canary', count: 30, errors: 0, latenciesUs: new Uint32Array(30).fill(4_000) },
      { rolloutId: 'j', windowStartAt: pendingStart, variant: 'canary', count: 7, errors: 1, latenciesUs: new Uint32Array(7).fill(9_000) },
    ]);
    journal.close();

    const config = resolveDaemonConfig({ flags: { db: join(dir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50 }, env: {} });
    restarted = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    expect(restarted.recovery).toMatchObject({ rollouts: 1, active: 1, journalRowsReplayed: 1, journalRowsDiscarded: 1, samplesReplayed: 7 });
    const counts = await eventually('the replayed window in the log', () => {
      const c = windowCounts([...restarted!.log.read('j')]);
      return c.has(pendingStart) ? c : undefined;
    });
    expect(counts.get(loggedStart)).toBe(30);
    expect(counts.get(pendingStart)).toBe(7);
    const pending = [...restarted.log.read('j')].find((e) => e.type === 'samples.window' && e.data.windowStartAt === pendingStart);
    expect(pending?.type === 'samples.window' && pending.data.canary.errors).toBe(1);
  });

  it('refuses, after a restart, a late sample for a window the log already holds instead of judging that window twice', async () => {
    const first = await startTestDaemon();
    dir = first.dir;
    const { daemon, headers } = first;
    const spec = { id: 'late', service: 'svc', baseline: 'v1', candidate: 'v2', window: WINDOW_MS, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }] };
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    const body = Array.from({ length: 5 }, () => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 4 })).join('\n');
    await fetch(`${daemon.url}/v1/rollouts/late/samples`, { method: 'POST', headers, body });
    const [loggedStart] = await eventually('the window in the log', () => [...windowCounts([...daemon.log.read('late')])][0]);
    await daemon.stop();

    const config = resolveDaemonConfig({ flags: { db: join(dir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50 }, env: {} });
    restarted = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    // Synchronously after start, before any scheduler round: the recorder must already know that window is closed.
    const answer = restarted.pipeline.submit({ kind: 'samples', rolloutId: 'late', windowMs: WINDOW_MS, samples: [{ line: 1, variant: 'canary', ok: true, latencyMs: 4, at: loggedStart + 1 }] });
    restarted.pipeline.flush();
    const result = await answer;
    expect(result.accepted).toBe(0);
    expect(result.rejected[0]?.reason).toMatch(/^late/);
  });

  it('keeps the journal rows of a window whose append failed when a later window is logged, and logs them after a restart', async () => {
    const first = await startTestDaemon();
    dir = first.dir;
    const { daemon, headers } = first;
    const spec = { id: 'f', service: 'svc', baseline: 'v1', candidate: 'v2', window: WINDOW_MS, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }] };
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    // The first window of samples cannot be appended (every attempt fails); later windows can.
    const failedStart = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 2 * WINDOW_MS;
    const append = daemon.log.append.bind(daemon.log);
    daemon.log.append = (rolloutId, position, events) => {
      const input = events[0];
      if (input?.type === 'samples.window' && input.data.windowStartAt === failedStart) throw new Error('disk I/O error');
      return append(rolloutId, position, events);
    };
    const line = (at: number) => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 4, at });
    const lost = await fetch(`${daemon.url}/v1/rollouts/f/samples`, { method: 'POST', headers, body: [line(failedStart + 1), line(failedStart + 2)].join('\n') });
    expect(lost.status).toBe(200);
    const laterStart = failedStart + WINDOW_MS;
    const later = await fetch(`${daemon.url}/v1/rollouts/f/samples`, { method: 'POST', headers, body: line(laterStart + 1) });
    expect(later.status).toBe(200);
    await eventually('the later window in the log', () => (windowCounts([...daemon.log.read('f')]).has(laterStart) ? true : undefined));
    await daemon.stop();

    const config = resolveDaemonConfig({ flags: { db: join(dir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50 }, env: {} });
    restarted = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    const counts = windowCounts([...restarted.log.read('f')]);
    expect(counts.get(laterStart)).toBe(1);
    expect(counts.get(failedStart)).toBe(2);
  });
});
