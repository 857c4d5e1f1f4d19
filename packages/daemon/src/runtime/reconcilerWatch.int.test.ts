import type { AnyStoredEvent, TrafficAdapter, WeightState } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';

/**
 * An adapter that watches its traffic layer (the kubernetes adapter) tells the reconciler about a hand edit as it
 * happens: the reconciler reads back at once — not at its read-back interval, an hour here — records the drift and
 * applies the desired weight again.
 */
describe('reconciler with a watching adapter', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('reads back and re-applies as soon as the adapter reports a change', async () => {
    let served: WeightState = { weightPercent: 0, generation: 0 };
    let notify: ((state: WeightState) => void) | undefined;
    let applyCalls = 0;
    const adapter: TrafficAdapter = {
      type: 'watching',
      async apply(desired) {
        applyCalls++;
        served = { ...desired };
        return { ...desired };
      },
      async read() {
        return { ...served };
      },
      async health() {
        return { ok: true };
      },
      watch(listener) {
        notify = listener;
        return () => (notify = undefined);
      },
      async close() {},
    };
    const running = await startTestDaemon({ readBackIntervalMs: 3_600_000 }, () => adapter);
    stop = running.stop;
    const spec = { id: 'w1', service: 'svc', baseline: 'v1', candidate: 'v2', window: 200, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [] }] };
    await fetch(`${running.daemon.url}/v1/rollouts`, { method: 'POST', headers: running.headers, body: JSON.stringify(spec) });
    const events = (): AnyStoredEvent[] => [...running.daemon.log.read('w1')];
    await eventually('weight applied', () => (events().some((e) => e.type === 'weight.applied') ? true : undefined));
    expect(notify).toBeDefined();
    const appliedBefore = applyCalls;

    // A hand edit: the layer now serves 50%, and the watch says so.
    served = { weightPercent: 50, generation: served.generation };
    notify!({ ...served });

    const drift = await eventually('drift recorded', () => events().find((e) => e.type === 'weight.applyFailed' && (e.data as { code?: string }).code === 'SLUICE_E_WEIGHT_DRIFT'));
    expect((drift.data as { error: string }).error).toContain('read back 50%');
    await eventually('re-applied', () => (applyCalls > appliedBefore && served.weightPercent === 10 ? true : undefined));
  });
});
