import type { AnyStoredEvent, TrafficAdapter, WeightState } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';

/** An adapter whose failures and served weight the test controls. */
function fakeAdapter() {
  const control = { failApply: 0, failZero: false, served: { weightPercent: 0, generation: 0 } as WeightState, applyCalls: 0 };
  const adapter: TrafficAdapter = {
    type: 'fake',
    async apply(desired) {
      control.applyCalls++;
      if (control.failApply > 0) {
        control.failApply--;
        throw Object.assign(new Error('proxy refused the config'), { code: 'SLUICE_E_ADAPTER_APPLY' });
      }
      if (control.failZero && desired.weightPercent === 0) throw Object.assign(new Error('proxy unreachable'), { code: 'SLUICE_E_ADAPTER_APPLY' });
      control.served = { ...desired };
      return { ...desired };
    },
    async read() {
      return { ...control.served };
    },
    async health() {
      return { ok: true };
    },
    async close() {},
  };
  return { adapter, control };
}

type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const SPEC = JSON.stringify({
  id: 'r1',
  service: 'svc',
  baseline: 'v1',
  candidate: 'v2',
  window: 200,
  stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [] }],
});

async function setUp(control: ReturnType<typeof fakeAdapter>, overrides = {}) {
  running = await startTestDaemon({ readBackIntervalMs: 100, applyAttemptsMax: 2, ...overrides }, () => control.adapter);
  const { daemon, headers } = running;
  await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: SPEC });
  const events = (): AnyStoredEvent[] => [...daemon.log.read('r1')];
  return { daemon, headers, events };
}

describe('reconciler', () => {
  it('retries a failed apply with backoff, recording each failure, until the weight is verified', async () => {
    const fake = fakeAdapter();
    fake.control.failApply = 1;
    const { events } = await setUp(fake, { applyAttemptsMax: 5 });
    await eventually('weight applied', () => (events().some((e) => e.type === 'weight.applied') ? true : undefined));
    const types = events().map((e) => e.type).filter((t) => t.startsWith('weight.'));
    expect(types).toEqual(['weight.desired', 'weight.applyFailed', 'weight.applied']);
    const failed = events().find((e) => e.type === 'weight.applyFailed');
    expect(failed?.data).toMatchObject({ generation: 1, weightPercent: 10, code: 'SLUICE_E_ADAPTER_APPLY' });
  });

  it('detects drift on read-back and re-applies the desired weight', async () => {
    const fake = fakeAdapter();
    const { events } = await setUp(fake);
    await eventually('first apply', () => (events().some((e) => e.type === 'weight.applied') ? true : undefined));
    fake.control.served = { weightPercent: 55, generation: 1 }; // someone edited the proxy by hand
    await eventually('re-applied', () => (fake.control.served.weightPercent === 10 ? true : undefined));
    expect(events().filter((e) => e.type === 'weight.applied')).toHaveLength(2);
    const drift = events().find((e) => e.type === 'weight.applyFailed');
    expect(drift?.data).toMatchObject({ code: 'SLUICE_E_WEIGHT_DRIFT', weightPercent: 10 });
    expect(JSON.stringify(drift?.data)).toMatch(/read back 55%/);
  });

  it('keeps retrying a rollback past the attempt limit until it is applied', async () => {
    const fake = fakeAdapter();
    const { daemon, headers, events } = await setUp(fake, { applyAttemptsMax: 1 });
    await eventually('first apply', () => (events().some((e) => e.type === 'weight.applied') ? true : undefined));
    fake.control.failZero = true;
    await fetch(`${daemon.url}/v1/rollouts/r1/commands/rollback`, { method: 'POST', headers });
    const failuresAtZero = () => events().filter((e) => e.type === 'weight.applyFailed' && e.data.weightPercent === 0).length;
    await eventually('more failed attempts than applyAttemptsMax', () => (failuresAtZero() >= 3 ? true : undefined));
    expect(daemon.runtime.get('r1')?.session.view.phase).toBe('rollingBack');
    expect(await daemon.metrics.render()).toMatch(/sluice_rollback_unapplied\{rollout="r1"\} 1/);
    fake.control.failZero = false;
    await eventually('rolled back', () => (daemon.runtime.get('r1')?.session.view.phase === 'rolledBack' ? true : undefined));
    expect(await daemon.metrics.render()).toMatch(/sluice_rollback_unapplied\{rollout="r1"\} 0/);
    expect(fake.control.served.weightPercent).toBe(0);
  });

  it('releasing an ended rollout whose adapter fails to close logs it instead of leaving an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const fake = fakeAdapter();
      let closeCalls = 0;
      fake.adapter.close = async () => {
        closeCalls++;
        throw new Error('proxy connection already gone');
      };
      const { daemon, headers, events } = await setUp(fake);
      await eventually('first apply', () => (events().some((e) => e.type === 'weight.applied') ? true : undefined));
      await fetch(`${daemon.url}/v1/rollouts/r1/commands/abort`, { method: 'POST', headers });
      await eventually('the adapter released', () => (closeCalls > 0 ? true : undefined));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('reconciler follow-up', () => {
  it('a weight desired while an adapter call is in flight is applied when that call ends, not at the next tick', async () => {
    const fake = fakeAdapter();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const apply = fake.adapter.apply.bind(fake.adapter);
    let started = 0;
    fake.adapter.apply = async (desired, signal) => {
      started++;
      if (desired.generation === 1) await gate;
      return apply(desired, signal);
    };
    // No scheduler round during the test: only the reconciler's own follow-up can apply the rollback.
    running = await startTestDaemon({ tickMs: 60_000, applyTimeoutMs: 30_000 }, () => fake.adapter);
    const { daemon, headers } = running;
    const created = await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: SPEC.replace('"window":200', '"window":3600000') });
    expect(created.status, await created.text()).toBe(201);
    await eventually('the first apply started', () => (started === 1 ? true : undefined));
    await fetch(`${daemon.url}/v1/rollouts/r1/commands/rollback`, { method: 'POST', headers });
    release();
    await eventually('the rollback applied', () => (daemon.runtime.get('r1')?.session.view.phase === 'rolledBack' ? true : undefined), 5_000);
    expect(fake.control.served.weightPercent).toBe(0);
  });
});

describe('reconciler isolation', () => {
  it('times out an adapter that hangs, and a hanging adapter never delays another rollout', async () => {
    const healthy = fakeAdapter();
    const hanging: TrafficAdapter = {
      type: 'hanging',
      apply: () => new Promise(() => undefined), // never settles, ignores the abort signal
      read: () => new Promise(() => undefined),
      health: async () => ({ ok: false }),
      close: async () => undefined,
    };
    running = await startTestDaemon({ applyTimeoutMs: 150, applyAttemptsMax: 1 }, (rollout) => (rollout.id === 'stuck' ? hanging : healthy.adapter));
    const { daemon, headers } = running;
    for (const id of ['stuck', 'fine']) {
      await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: SPEC.replace('"r1"', `"${id}"`) });
    }
    await eventually('the healthy rollout applied', () => ([...daemon.log.read('fine')].some((e) => e.type === 'weight.applied') ? true : undefined));
    const failed = await eventually('the hanging apply timed out', () => [...daemon.log.read('stuck')].find((e) => e.type === 'weight.applyFailed'));
    expect(failed.data).toMatchObject({ generation: 1, code: 'SLUICE_E_ADAPTER_APPLY' });
    expect(JSON.stringify(failed.data)).toMatch(/timed out after 150 ms/);
  });
});
