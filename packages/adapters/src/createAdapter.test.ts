import { describe, expect, it } from 'vitest';
import { createAdapter, validateAdapterOptions } from './createAdapter.js';
import { createWeightedRouter } from './inprocess/weightedRouter.js';

const context = { rolloutId: 'r1' };

describe('createAdapter', () => {
  it('creates the none adapter, which applies instantly, idempotently, and records what it applied', async () => {
    const adapter = createAdapter({ type: 'none', options: {} }, context);
    expect(adapter.type).toBe('none');
    expect(await adapter.apply({ weightPercent: 10.555, generation: 1 })).toEqual({ weightPercent: 10.56, generation: 1 });
    await adapter.apply({ weightPercent: 10.56, generation: 1 });
    expect(await adapter.read()).toEqual({ weightPercent: 10.56, generation: 1 });
    expect((adapter as unknown as { history: unknown[] }).history).toHaveLength(1);
  });

  it('creates the inprocess adapter around a router', async () => {
    const router = createWeightedRouter();
    const adapter = createAdapter({ type: 'inprocess', options: { router } }, context);
    await adapter.apply({ weightPercent: 25, generation: 2 });
    expect(router.current()).toEqual({ weightPercent: 25, generation: 2 });
  });

  it('reports bad options with SLUICE_E_ADAPTER_OPTIONS, naming each path and what is allowed', () => {
    let error: unknown;
    try {
      createAdapter({ type: 'nginx', options: { includePath: 'x.conf', hashKey: { kind: 'bogus' }, extra: 1 } }, context);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'SLUICE_E_ADAPTER_OPTIONS' });
    const message = (error as Error).message;
    expect(message).toContain('adapter.options.includePath: must be an absolute path');
    expect(message).toMatch(/adapter\.options\.hashKey\.kind: .*'request' \| 'client' \| 'cookie' \| 'header'/);
    expect(message).toMatch(/unknown option\(s\) "extra"/);
    expect(message).toContain('adapter.options.mainConfigPath: is required (string)');
  });

  it('names the implemented types for a type that does not exist yet', () => {
    expect(() => createAdapter({ type: 'haproxy', options: {} }, context)).toThrowError(
      expect.objectContaining({ code: 'SLUICE_E_ADAPTER_OPTIONS', message: expect.stringMatching(/"haproxy" is planned but not implemented yet; use one of: none, inprocess, nginx/) }),
    );
    expect(() => createAdapter({ type: 'bogus' as never, options: {} }, context)).toThrow(/is unknown/);
  });

  it('checks every envoy option at once, and refuses the envoy adapter without the daemon\'s xDS server', () => {
    expect(() => validateAdapterOptions({ type: 'envoy', options: { routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'a', nodes: ['n'], clientsMin: 2, resourcesFile: 'relative.yaml', extra: 1 } }, 'r1')).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_E_ADAPTER_OPTIONS',
        message: expect.stringMatching(/4 problem\(s\)[\s\S]*resourcesFile: must be an absolute path[\s\S]*unknown option\(s\) "extra"[\s\S]*must differ[\s\S]*not both/),
      }),
    );
    expect(() => validateAdapterOptions({ type: 'envoy', options: { routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'b' } }, 'r1')).not.toThrow();
    expect(() => createAdapter({ type: 'envoy', options: { routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'b' } }, context)).toThrow(/no xDS server; start it with --xds-listen HOST:PORT/);
  });
});
