import { writeFileSync } from 'node:fs';
import { credentials, makeGenericClientConstructor, Server, ServerCredentials, status, type Client, type ServiceDefinition } from '@grpc/grpc-js';

/**
 * Test and example fixtures for the xDS server: a tiny gRPC service (JSON-encoded, so no .proto is needed — gRPC and
 * xDS routing do not care how a message is encoded), backends that answer as one version, the resources file that
 * describes them to proxyless gRPC clients, and bootstrap configurations pointing at the Sluice xDS server.
 */
export const GREETER_SERVICE: ServiceDefinition = {
  Greet: {
    path: '/sluice.example.Greeter/Greet',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
    requestDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown,
    responseSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
    responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown,
  },
};

export interface GreetReply {
  version: string;
}

export interface Backend {
  port: number;
  version: string;
  /** Calls answered. */
  calls: number;
  close(): Promise<void>;
}

/** A backend answering `Greet` with its version; `failRatio` of calls fail with UNAVAILABLE (a faulty candidate). */
export async function startBackend(version: string, options: { failRatio?: number; random?: () => number } = {}): Promise<Backend> {
  const server = new Server();
  const random = options.random ?? Math.random;
  const backend: Backend = { port: 0, version, calls: 0, close: async () => {} };
  server.addService(GREETER_SERVICE, {
    Greet: (_call: unknown, callback: (error: { code: number; details: string } | null, reply?: GreetReply) => void) => {
      backend.calls++;
      if (options.failRatio && random() < options.failRatio) callback({ code: status.UNAVAILABLE, details: `${version} failed` });
      else callback(null, { version });
    },
  });
  backend.port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))));
  backend.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return backend;
}

/** The resources a proxyless gRPC client needs for `xds:///<listener>`: a Listener, two EDS clusters and endpoints. */
export function greeterResources(options: { listener: string; routeConfiguration: string; clusters: Record<string, number[]>; lbPolicy?: string }): Record<string, unknown>[] {
  const resources: Record<string, unknown>[] = [
    {
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name: options.listener,
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          rds: { route_config_name: options.routeConfiguration, config_source: { ads: {}, resource_api_version: 'V3' } },
          http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
        },
      },
    },
  ];
  for (const [cluster, ports] of Object.entries(options.clusters)) {
    resources.push({
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: cluster,
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
      lb_policy: options.lbPolicy ?? 'ROUND_ROBIN',
    });
    resources.push({
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: cluster,
      endpoints: [{ locality: { zone: 'local' }, load_balancing_weight: 1, lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }],
    });
  }
  return resources;
}

export function writeResourcesFile(path: string, resources: Record<string, unknown>[]): void {
  writeFileSync(path, JSON.stringify({ resources }, null, 2));
}

/** A gRPC xDS bootstrap pointing at the Sluice xDS server on loopback (plain text). */
export function bootstrapFor(xdsPort: number, nodeId: string): Record<string, unknown> {
  return {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: nodeId, cluster: 'sluice-tests', locality: { zone: 'local' } },
  };
}

/**
 * grpc-js-xds reads one bootstrap per process (GRPC_XDS_BOOTSTRAP / GRPC_XDS_BOOTSTRAP_CONFIG). Its own tests give each
 * channel a bootstrap of its own through this channel option, which creates one xDS client per channel: that is how
 * one test process runs several clients with different node ids. Production clients (the example) use the variable.
 */
export const PER_CHANNEL_BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

export type GreeterClient = Client & { Greet(request: unknown, options: { deadline: Date }, callback: (error: { code: number; details: string } | null, reply?: GreetReply) => void): void };

const GreeterClientConstructor = makeGenericClientConstructor(GREETER_SERVICE, 'Greeter');

/** A Greeter client on `target` (`xds:///greeter` or `host:port`); `bootstrap` gives this channel its own xDS client. */
export function greeterClient(target: string, bootstrap?: Record<string, unknown>): GreeterClient {
  const options = bootstrap ? { [PER_CHANNEL_BOOTSTRAP_OPTION]: JSON.stringify(bootstrap) } : {};
  return new GreeterClientConstructor(target, credentials.createInsecure(), options) as unknown as GreeterClient;
}

/** One Greet call with a deadline; resolves with the version that answered, or the error. */
export function greet(client: GreeterClient, deadlineMs = 2_000): Promise<{ version?: string; error?: { code: number; details: string } }> {
  return new Promise((resolve) => {
    client.Greet({ name: 'sluice' }, { deadline: new Date(Date.now() + deadlineMs) }, (error, reply) => resolve(error ? { error } : { version: reply?.version ?? '' }));
  });
}
