import { describe, expect, it } from 'vitest';
import { createInprocessAdapter } from './inprocessAdapter.js';
import { createWeightedRouter, type WeightedRouter } from './weightedRouter.js';

describe('inprocess adapter with a router in the same process', () => {
  it('applies, verifies by reading back, and is idempotent', async () => {
    const router = createWeightedRouter();
    let writes = 0;
    const counting: WeightedRouter = { ...router, setWeight: (s) => (writes++, router.setWeight(s)) };
    const adapter = createInprocessAdapter({ router: counting });
    expect(await adapter.read()).toEqual({ weightPercent: 0, generation: 0 });
    expect(await adapter.apply({ weightPercent: 10.004, generation: 1 })).toEqual({ weightPercent: 10, generation: 1 });
    expect(await adapter.apply({ weightPercent: 10, generation: 1 })).toEqual({ weightPercent: 10, generation: 1 });
    expect(writes).toBe(1);
    expect(router.current()).toEqual({ weightPercent: 10, generation: 1 });
  });

  it('fails with SLUICE_E_ADAPTER_APPLY and restores the last known good state when read-back disagrees', async () => {
    const router = createWeightedRouter();
    let broken = false;
    const flaky: WeightedRouter = { ...router, current: () => (broken ? { weightPercent: 99, generation: 99 } : router.current()) };
    const adapter = createInprocessAdapter({ router: flaky, retry: { attemptsMax: 2, delayMsInitial: 0 } }, { sleep: async () => undefined });
    await adapter.apply({ weightPercent: 5, generation: 1 });
    broken = true;
    await expect(adapter.apply({ weightPercent: 50, generation: 2 })).rejects.toMatchObject({
      code: 'SLUICE_E_ADAPTER_APPLY',
      message: expect.stringMatching(/restored last known good 5% generation 1/),
    });
    broken = false;
    expect(router.current()).toEqual({ weightPercent: 5, generation: 1 });
  });

  it('rejects options naming the path and what is allowed', () => {
    expect(() => createInprocessAdapter({})).toThrow(/exactly one of `router`/);
    expect(() => createInprocessAdapter({ adminUrl: 'ftp://x' } as never)).toThrowError(expect.objectContaining({ code: 'SLUICE_E_ADAPTER_OPTIONS' }));
    expect(() => createInprocessAdapter({ adminUrl: 'http://127.0.0.1:1/', requestTimeoutMs: 1 })).toThrow(/adapter\.options\.requestTimeoutMs/);
  });
});
