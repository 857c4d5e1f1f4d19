import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyStoredEvent, TrafficAdapter, WeightState } from '@sluice/core';
import { createNoneAdapter } from '@sluice/adapters';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { createLogger } from '../logger.js';
import { eventually, TEST_TOKEN } from '../testing/startTestDaemon.js';

const SPEC = JSON.stringify({
  id: 'r1',
  service: 'svc',
  baseline: 'v1',
  candidate: 'v2',
  window: '1s',
  stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [] }],
});

let dir: string | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A daemon on `dir`'s log; `adapter` makes the traffic layer (default: the real `none` adapter, which keeps no state). */
async function startOn(logDir: string, adapter?: () => TrafficAdapter): Promise<Daemon> {
  const config = resolveDaemonConfig({ flags: { db: join(logDir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, readBackIntervalMs: 100 }, env: {} });
  return Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false, ...(adapter ? { createAdapter: adapter } : {}) });
}

const weightEvents = (log: Daemon['log']): AnyStoredEvent[] => [...log.read('r1')].filter((e) => e.type.startsWith('weight.'));

describe('reconciler after a restart', () => {
  it('restores the weight of a traffic layer that lost it, without a spurious SLUICE_E_WEIGHT_DRIFT', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
    // The real `none` adapter, new for each daemon as in production (it keeps the weight in memory), counting its reads.
    let reads = 0;
    const counted = (): TrafficAdapter => {
      const inner = createNoneAdapter();
      return { type: 'none', apply: (d, s) => inner.apply(d, s), read: (s) => ((reads++), inner.read(s)), health: () => inner.health(), close: () => inner.close() };
    };
    daemon = await startOn(dir, counted);
    const created = await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: SPEC });
    expect(created.status).toBe(201);
    const first = daemon;
    await eventually('the weight verified', () => (weightEvents(first.log).some((e) => e.type === 'weight.applied') ? true : undefined));
    const before = weightEvents(daemon.log).length;
    for (let restart = 0; restart < 3; restart++) {
      await daemon.stop();
      reads = 0;
      daemon = await startOn(dir, counted);
      // The first read-back finds 0% (generation 0) and restores; the second reads the restored weight back.
      await eventually('two read-backs of the restarted daemon', () => (reads >= 2 ? true : undefined));
    }
    expect(weightEvents(daemon.log).length).toBe(before);
    expect(weightEvents(daemon.log).some((e) => e.type === 'weight.applyFailed')).toBe(false);
  });

  it('still reports drift found after a restart when the traffic layer serves another weight from Sluice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
    let served: WeightState = { weightPercent: 0, generation: 0 };
    const adapter = (): TrafficAdapter => ({
      type: 'fake',
      async apply(desired) {
        served = { ...desired };
        return { ...desired };
      },
      async read() {
        return { ...served };
      },
      async health() {
        return { ok: true };
      },
      async close() {},
    });
    daemon = await startOn(dir, adapter);
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: SPEC });
    const first = daemon;
    await eventually('the weight verified', () => (weightEvents(first.log).some((e) => e.type === 'weight.applied') ? true : undefined));
    await daemon.stop();
    served = { weightPercent: 55, generation: 1 }; // changed by hand while the daemon was down
    daemon = await startOn(dir, adapter);
    const current = daemon;
    const drift = await eventually('the drift recorded', () => weightEvents(current.log).find((e) => e.type === 'weight.applyFailed'));
    expect(drift.data).toMatchObject({ code: 'SLUICE_E_WEIGHT_DRIFT' });
    await eventually('re-applied', () => (served.weightPercent === 10 ? true : undefined));
  });
});
