import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnvoyAdapter, envoyRouteSpec } from './envoyAdapter.js';
import { RDS_TYPE_URL } from './protoRoot.js';
import { greeterResources } from './testing/xdsFixtures.js';
import { XdsControlPlane } from './xdsControlPlane.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-plane-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, resources: Record<string, unknown>[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(resources));
  return path;
}

describe('xDS control plane ownership (no clients needed)', () => {
  it('one running rollout per RouteConfiguration; an ended one is taken over, and its late 0% apply is a no-op', async () => {
    const plane = new XdsControlPlane();
    const options = { routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'b', clientsMin: 1 };
    const first = createEnvoyAdapter(options, { rolloutId: 'first', xds: plane, inForce: { weightPercent: 100, generation: 4 } });
    expect(plane.served(RDS_TYPE_URL).get('r')!.versionInfo).toBe('4');
    const second = envoyRouteSpec({ ...options, stableCluster: 'b', canaryCluster: 'c' }, 'second').spec;
    expect(plane.attachProblems(second)).toEqual(['RouteConfiguration "r" is served for rollout "first", which is still running; wait for it to end, or give this rollout another routeConfiguration']);
    plane.markEnded('first');
    expect(plane.attachProblems(second)).toEqual([]);
    plane.attach(second, { weightPercent: 0, generation: 0 });
    expect(plane.served(RDS_TYPE_URL).get('r')!.versionInfo).toBe('0');
    await expect(first.apply({ weightPercent: 0, generation: 5 })).resolves.toEqual({ weightPercent: 0, generation: 5 });
    await expect(first.apply({ weightPercent: 10, generation: 6 })).rejects.toThrow(/served for a later rollout now/);
    plane.close();
  });

  it('refuses resources that differ from another running rollout\'s under the same name, and accepts identical ones', () => {
    const plane = new XdsControlPlane();
    const base = greeterResources({ listener: 'l', routeConfiguration: 'r1', clusters: { a: [1], b: [2] } });
    const same = file('same.json', base);
    const differing = file('differing.json', greeterResources({ listener: 'l', routeConfiguration: 'r1', clusters: { a: [1], b: [3] } }));
    plane.attach(envoyRouteSpec({ routeConfiguration: 'r1', stableCluster: 'a', canaryCluster: 'b', resourcesFile: same }, 'one').spec, { weightPercent: 0, generation: 0 });
    expect(plane.attachProblems(envoyRouteSpec({ routeConfiguration: 'r2', stableCluster: 'a', canaryCluster: 'b', resourcesFile: same }, 'two').spec)).toEqual([]);
    expect(plane.attachProblems(envoyRouteSpec({ routeConfiguration: 'r2', stableCluster: 'a', canaryCluster: 'b', resourcesFile: differing }, 'two').spec)).toEqual([
      expect.stringContaining('ClusterLoadAssignment "b" differs from the one rollout "one" serves'),
    ]);
    plane.close();
  });

  it('refuses a resources file without the rollout\'s clusters, or whose route template does not route to them', () => {
    const resources = greeterResources({ listener: 'l', routeConfiguration: 'r', clusters: { a: [1] } });
    const withoutCanary = file('without.json', resources);
    expect(() => envoyRouteSpec({ routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'b', resourcesFile: withoutCanary }, 'x')).toThrow(/adapter\.options\.canaryCluster: Cluster "b" is not defined in/);
    const template = file('template.json', [
      ...greeterResources({ listener: 'l', routeConfiguration: 'r', clusters: { a: [1], b: [2] } }),
      { '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: 'elsewhere' } }] }] },
    ]);
    expect(() => envoyRouteSpec({ routeConfiguration: 'r', stableCluster: 'a', canaryCluster: 'b', resourcesFile: template }, 'x')).toThrow(/has no route to "a" or "b"/);
  });
});
