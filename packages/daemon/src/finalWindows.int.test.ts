import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon } from './testing/startTestDaemon.js';

let running: Awaited<ReturnType<typeof startTestDaemon>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('a rollout that ends with windows still open', () => {
  it('logs the acknowledged samples of those windows instead of dropping them, and empties their journal rows', async () => {
    running = await startTestDaemon();
    const { daemon, headers, dir } = running;
    const call = (method: string, path: string, body?: string) => fetch(`${daemon.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    // A 10-minute window cannot close during the test, so the samples below are still in an open window at the abort.
    const spec = { id: 'ends-open', service: 's', baseline: 'v1', candidate: 'v2', window: '10m', stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h' }] };
    expect((await call('POST', '/v1/rollouts', JSON.stringify(spec))).status).toBe(201);
    const at = Date.now();
    const lines = [
      ...Array.from({ length: 7 }, () => ({ variant: 'canary', ok: true, latencyMs: 5, at })),
      ...Array.from({ length: 3 }, () => ({ variant: 'canary', ok: false, latencyMs: 9, at })),
      ...Array.from({ length: 40 }, () => ({ variant: 'baseline', ok: true, latencyMs: 4, at })),
    ];
    expect((await call('POST', '/v1/rollouts/ends-open/samples', lines.map((l) => JSON.stringify(l)).join('\n'))).status).toBe(200);
    expect((await call('POST', '/v1/rollouts/ends-open/commands/abort', '{"reason":"test"}')).status).toBe(200);

    const events = [...daemon.log.read('ends-open')];
    const aborted = events.findIndex((e) => e.type === 'aborted');
    expect(aborted).toBeGreaterThan(0);
    const finalWindows = events.slice(aborted).filter((e) => e.type === 'samples.window');
    expect(finalWindows).toHaveLength(1);
    expect(finalWindows[0]?.data).toMatchObject({ canary: { count: 10, errors: 3 }, baseline: { count: 40, errors: 0 } });
    // The terminal machine decided nothing from them.
    expect(events.slice(aborted + 1).filter((e) => e.type !== 'samples.window' && e.type !== 'weight.applied' && e.type !== 'weight.applyFailed').map((e) => e.type)).toEqual([]);

    const db = new Database(join(dir, 'sluice.db'), { readonly: true });
    try {
      const { rows } = db.prepare("SELECT count(*) AS rows FROM sluice_daemon_ingest_journal WHERE rollout_id = 'ends-open'").get() as { rows: number };
      expect(rows).toBe(0);
    } finally {
      db.close();
    }
  });
});
