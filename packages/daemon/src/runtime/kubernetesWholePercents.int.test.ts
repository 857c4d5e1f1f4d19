import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon } from '../testing/startTestDaemon.js';

/**
 * The kubernetes adapter with kind VirtualService can only write whole percents: the daemon refuses such a rollout when
 * it is created (422, naming the stage and the nearest whole percents), not when the stage is reached.
 */
describe('POST /v1/rollouts with the kubernetes adapter', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  const spec = (kind: string, weightPercent: number): string =>
    JSON.stringify({
      id: `vs-${kind.toLowerCase()}-${String(weightPercent).replace(".", "-")}`,
      service: 'checkout',
      baseline: 'v1',
      candidate: 'v2',
      stages: [{ name: 'canary', weightPercent, durationMin: '1m' }],
      adapter: { type: 'kubernetes', options: { kind, namespace: 'shop', name: 'checkout', stableBackend: 'checkout-stable', canaryBackend: 'checkout-canary', kubeconfig: '/nonexistent' } },
    });

  it('refuses a VirtualService stage at 2.5% and accepts one at 3%, and an HTTPRoute at 2.5%', async () => {
    const { daemon, headers, stop: stopDaemon } = await startTestDaemon();
    stop = stopDaemon;
    const post = (body: string) => fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const refused = await post(spec('VirtualService', 2.5));
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain('stage \\"canary\\" asks for 2.5%, but an Istio VirtualService takes whole percents only; use 2 or 3');
    expect((await post(spec('VirtualService', 3))).status).toBe(201);
    expect((await post(spec('HTTPRoute', 2.5))).status).toBe(201);
  });
});
