import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGrpcServer, type GrpcServer, type GrpcServerHandle } from '@sluice/adapters/envoy';
import { alsClient as connect } from '@sluice/adapters/envoy/testing';
import { validateSpec, type RequestSample, type RolloutSpec } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';
import type { XdsHost } from '../xds/xdsHost.js';
import { EnvoyAccessLogSources } from './envoyAccessLogSource.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function specWith(envoyAccessLog: Record<string, unknown>, id = 'als'): RolloutSpec {
  return parseSpec({ id, service: 's', baseline: 'v1', candidate: 'v2', window: '1s', sources: { envoyAccessLog } });
}

/** The sources with a real gRPC server carrying the access-log service (as the daemon's xDS server does). */
async function setUp(): Promise<{ sources: EnvoyAccessLogSources; submitted: Map<string, RequestSample[]>; server: GrpcServerHandle }> {
  const submitted = new Map<string, RequestSample[]>();
  const registrations: ((server: GrpcServer) => void)[] = [];
  const host = { addService: (register: (server: GrpcServer) => void) => registrations.push(register) } as unknown as XdsHost;
  const sources = new EnvoyAccessLogSources({
    logger: createLogger('silent'),
    xds: host,
    submit: async (rolloutId, _windowMs, samples) => {
      submitted.set(rolloutId, [...(submitted.get(rolloutId) ?? []), ...samples]);
    },
  });
  const server = await startGrpcServer('127.0.0.1:0', undefined, (s) => registrations.forEach((register) => register(s)));
  cleanups.push(() => server.close(100), () => sources.stopAll());
  return { sources, submitted, server };
}

/** Envoy's side: a client stream of StreamAccessLogsMessage, real protobuf on the wire. */
function alsClient(port: number, raw = false) {
  const client = connect(port, { raw });
  cleanups.push(() => client.close());
  return client.stream;
}

function parseSpec(input: Record<string, unknown>): RolloutSpec {
  return validateSpec(input);
}

function entry(cluster: string, code: number | undefined, options: { ms?: number; grpcStatus?: string; at?: number } = {}): Record<string, unknown> {
  const at = options.at ?? 1_700_000_000_250;
  return {
    common_properties: {
      upstream_cluster: cluster,
      start_time: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1_000_000 },
      duration: { seconds: 0, nanos: (options.ms ?? 12.5) * 1_000_000 },
    },
    ...(code === undefined ? {} : { response: { response_code: { value: code }, ...(options.grpcStatus ? { response_trailers: { 'grpc-status': options.grpcStatus } } : {}) } }),
  };
}

describe('Envoy gRPC access-log service (real protobuf entries over a real gRPC stream)', () => {
  it('turns entries into samples by upstream cluster; unknown clusters and malformed messages are counted, never fatal', async () => {
    const { sources, submitted, server } = await setUp();
    sources.start('als', specWith({ baselineClusters: ['app-stable'], candidateClusters: ['app-canary'] }));
    const stream = alsClient(server.port);
    stream.write({ identifier: { node: { id: 'envoy-1' }, log_name: 'edge' }, http_logs: { log_entry: [entry('app-stable', 200), entry('app-canary', 503, { ms: 80 }), entry('other', 200)] } });
    stream.write({ http_logs: { log_entry: [entry('app-canary', 200, { grpcStatus: '14' }), entry('app-canary', 200, { grpcStatus: '5' }), entry('app-stable', undefined)] } });
    // A message that is not a StreamAccessLogsMessage at all, sent as raw bytes.
    const raw = alsClient(server.port, true);
    raw.write(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    raw.end();
    stream.write({ http_logs: { log_entry: [entry('app-stable', 200, { ms: 3 })] } });
    await eventually('the entries', () => (sources.counters.entries === 7 && sources.counters.malformed === 2 ? true : undefined));
    stream.end();
    expect(sources.counters).toMatchObject({ streams: 2, messages: 4, entries: 7, samples: 5, unknownCluster: 1, malformed: 2, dropped: 0 });
    expect(submitted.get('als')!.map((s) => [s.variant, s.ok, s.latencyMs])).toEqual([
      ['baseline', true, 12.5],
      ['canary', false, 80],
      ['canary', false, 12.5], // grpc-status 14 UNAVAILABLE: the server failed
      ['canary', true, 12.5], // grpc-status 5 NOT_FOUND: the caller's doing
      ['baseline', true, 3],
    ]);
    expect(submitted.get('als')![0]!.at).toBe(1_700_000_000_250);
  });

  it('takes only the entries of its logName, and defaults clusters to the envoy adapter\'s', async () => {
    const { sources, submitted, server } = await setUp();
    const spec = parseSpec({
      id: 'named',
      service: 's',
      baseline: 'v1',
      candidate: 'v2',
      adapter: { type: 'envoy', options: { routeConfiguration: 'r', stableCluster: 'app-stable', canaryCluster: 'app-canary' } },
      sources: { envoyAccessLog: { logName: 'edge' } },
    });
    sources.start('named', spec);
    const edge = alsClient(server.port);
    edge.write({ identifier: { node: { id: 'e' }, log_name: 'edge' }, http_logs: { log_entry: [entry('app-canary', 200)] } });
    const internal = alsClient(server.port);
    internal.write({ identifier: { node: { id: 'e' }, log_name: 'internal' }, http_logs: { log_entry: [entry('app-canary', 200)] } });
    await eventually('both messages', () => (sources.counters.messages === 2 ? true : undefined));
    expect(submitted.get('named')).toHaveLength(1);
    expect(sources.counters.unknownCluster).toBe(1);
  });
});

describe('Envoy JSON file access log (the shared tail)', () => {
  it('tails the file Envoy writes with the documented json_format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-envoy-log-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'access.json');
    writeFileSync(path, '');
    const { sources, submitted } = await setUp();
    sources.start('file', specWith({ path, baselineClusters: ['app-stable'], candidateClusters: ['app-canary'], startAt: 'start', pollIntervalMs: 10 }, 'file'));
    const line = (cluster: string, code: number, grpc: number | string = '-'): string =>
      `${JSON.stringify({ start_time: '1700000000.500', upstream_cluster: cluster, response_code: code, grpc_status: grpc, duration: 7, upstream_duration: 5 })}\n`;
    appendFileSync(path, line('app-stable', 200) + line('app-canary', 503) + 'not json\n' + line('app-canary', 200, 14) + line('elsewhere', 200));
    await eventually('three samples', () => ((submitted.get('file')?.length ?? 0) >= 3 ? true : undefined));
    expect(submitted.get('file')!.map((s) => [s.variant, s.ok, s.latencyMs, s.at])).toEqual([
      ['baseline', true, 7, 1_700_000_000_500],
      ['canary', false, 7, 1_700_000_000_500],
      ['canary', false, 7, 1_700_000_000_500],
    ]);
  });
});

describe('sources.envoyAccessLog at rollout creation', () => {
  it('refuses the gRPC source on a daemon without --xds-listen, and names every bad option', async () => {
    const running = await startTestDaemon();
    cleanups.push(() => running.stop());
    const post = (sources: Record<string, unknown>) =>
      fetch(`${running.daemon.url}/v1/rollouts`, { method: 'POST', headers: running.headers, body: JSON.stringify({ id: `x${Math.random().toString(36).slice(2, 8)}`, service: 's', baseline: 'a', candidate: 'b', sources }) });
    const noXds = await post({ envoyAccessLog: { baselineClusters: ['a'], candidateClusters: ['b'] } });
    expect(noXds.status).toBe(422);
    expect(((await noXds.json()) as { error: { message: string } }).error.message).toContain('start it with --xds-listen HOST:PORT, or give the JSON file access log');
    const bad = await post({ envoyAccessLog: { path: '/tmp/x.json', latencyFrom: 'sometimes', logName: 'l' } });
    expect(bad.status).toBe(422);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('sources.envoyAccessLog.latencyFrom');
    const missing = await post({ envoyAccessLog: { path: '/tmp/x.json' } });
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('sources.envoyAccessLog.baselineClusters: is required');
  });
});
