import { describe, expect, it } from 'vitest';
import { CDS_TYPE_URL, decodeMessage, EDS_TYPE_URL, LDS_TYPE_URL, messageType } from './protoRoot.js';
import { parseResources } from './resourcesFile.js';
import { basisPoints, renderRouteConfiguration } from './routeConfiguration.js';

const YAML = `resources:
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: app-stable
    type: EDS
    connectTimeout: 0.250s
    edsClusterConfig: { edsConfig: { ads: {} } }
    perConnectionBufferLimitBytes: 32768
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
    cluster_name: app-stable
    endpoints:
      - load_balancing_weight: 1
        lb_endpoints:
          - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8081 } } }
  - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
    name: app
    api_listener:
      api_listener:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: app
        rds: { route_config_name: app-route, config_source: { ads: {} } }
        http_filters:
          - name: router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`;

describe('resources file (Envoy v3 JSON/YAML)', () => {
  it('reads snake_case and camelCase fields, durations, wrappers and nested Any into the protobuf the client decodes', () => {
    const set = parseResources(YAML, 'resources.yaml');
    const cluster = set.resources.get(CDS_TYPE_URL)!.get('app-stable')!;
    const decoded = decodeMessage(messageType('envoy.config.cluster.v3.Cluster'), cluster.bytes);
    expect(decoded).toMatchObject({ name: 'app-stable', type: 'EDS', connect_timeout: { seconds: '0', nanos: 250_000_000 }, per_connection_buffer_limit_bytes: { value: 32768 } });
    expect(set.clusters.get('app-stable')).toEqual({ name: 'app-stable', edsServiceName: 'app-stable' });
    const listener = decodeMessage(messageType('envoy.config.listener.v3.Listener'), set.resources.get(LDS_TYPE_URL)!.get('app')!.bytes);
    expect(listener).toMatchObject({ api_listener: { api_listener: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', rds: { route_config_name: 'app-route' } } } });
    expect(set.resources.get(EDS_TYPE_URL)!.has('app-stable')).toBe(true);
  });

  it('reports every problem at once, with its path and line', () => {
    const bad = `resources:
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: a
    connect_timeout: 5 seconds
    lb_policy: FASTEST
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: a
  - "@type": type.googleapis.com/envoy.config.nothing.v3.Thing
  - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
    name: l
    filterz: []
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
`;
    let error: (Error & { code?: string; issues?: { path: string; line?: number; message: string }[] }) | undefined;
    try {
      parseResources(bad, '/etc/sluice/res.yaml');
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('SLUICE_E_ADAPTER_OPTIONS');
    expect(error?.message).toContain('envoy adapter resourcesFile /etc/sluice/res.yaml');
    const byPath = Object.fromEntries(error!.issues!.map((i) => [i.path, i]));
    expect(byPath['resources[0].connect_timeout']).toMatchObject({ line: 4, message: expect.stringContaining('duration such as "5s"') });
    expect(byPath['resources[0].lb_policy']).toMatchObject({ line: 5, message: expect.stringContaining('is not one of ROUND_ROBIN') });
    expect(byPath['resources[2].@type']).toMatchObject({ line: 8 });
    expect(byPath['resources[3].filterz']).toMatchObject({ line: 11, message: expect.stringContaining('unknown field of envoy.config.listener.v3.Listener') });
    expect(byPath['resources[4].cluster_name']?.message).toContain('needs a name');
  });

  it('refuses a name defined twice for one type', () => {
    const twice = `- { "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a }
- { "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a }
`;
    expect(() => parseResources(twice, 'f.yaml')).toThrow(/resources\[1\]\.name: Cluster "a" is defined twice/);
  });

  it('refuses an unknown type inside Any, naming it', () => {
    const text = JSON.stringify([{ '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: 'l', api_listener: { api_listener: { '@type': 'type.googleapis.com/acme.Unknown' } } }]);
    expect(() => parseResources(text, 'f.json')).toThrow(/resources\[0\]\.api_listener\.api_listener\.@type: "type\.googleapis\.com\/acme\.Unknown" is not a type/);
  });
});

describe('route configuration', () => {
  it('splits in basis points summing to 10,000 for every two-decimal weight', () => {
    for (let hundredths = 0; hundredths <= 10_000; hundredths += 7) {
      const { canary, stable } = basisPoints(hundredths / 100);
      expect(canary).toBe(hundredths);
      expect(canary + stable).toBe(10_000);
    }
    expect(basisPoints(0.01)).toEqual({ canary: 1, stable: 9_999 });
  });

  it('keeps a template and rewrites only the routes to the rollout\'s clusters', () => {
    const template = {
      name: 'r',
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['app.example'],
          routes: [
            { match: { prefix: '/admin' }, route: { cluster: 'admin' } },
            { match: { prefix: '' }, route: { cluster: 'app-stable', timeout: { seconds: 3 } } },
          ],
        },
      ],
    };
    const rendered = renderRouteConfiguration({ name: 'r', stableCluster: 'app-stable', canaryCluster: 'app-canary', domains: ['*'], template }, 12.5);
    const routes = (rendered.virtual_hosts as { routes: Record<string, Record<string, unknown>>[] }[])[0]!.routes;
    expect(routes[0]!.route).toEqual({ cluster: 'admin' });
    expect(routes[1]!.route).toEqual({
      timeout: { seconds: 3 },
      weighted_clusters: { clusters: [{ name: 'app-stable', weight: { value: 8_750 } }, { name: 'app-canary', weight: { value: 1_250 } }], total_weight: { value: 10_000 } },
    });
    // The template itself is untouched (it is rendered again at every apply).
    expect(template.virtual_hosts[0]!.routes[1]!.route).toEqual({ cluster: 'app-stable', timeout: { seconds: 3 } });
  });
});
