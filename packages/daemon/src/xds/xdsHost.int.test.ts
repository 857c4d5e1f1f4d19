import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDS_TYPE_URL } from '@sluice/adapters/envoy';
import { alsClient, bootstrapFor, greet, greeterClient, greeterResources, registerXdsResolver, startBackend, startCsdsReader, weightsOf, writeResourcesFile, type Backend, type CsdsReader, type GreeterClient } from '@sluice/adapters/envoy/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { createLogger } from '../logger.js';
import { eventually, startTestDaemon, TEST_TOKEN } from '../testing/startTestDaemon.js';
import { freePort } from '../testing/privatePrometheus.js';

// The daemon with --xds-listen, driving the envoy adapter against the real proxyless gRPC client (@grpc/grpc-js-xds).
registerXdsResolver();

let stable: Backend;
let canary: Backend;
let csds: CsdsReader;
let dir: string;
const cleanups: (() => unknown)[] = [];
const headers = { authorization: `Bearer ${TEST_TOKEN}` };

beforeAll(async () => {
  stable = await startBackend('v1');
  canary = await startBackend('v2');
  csds = await startCsdsReader();
  dir = mkdtempSync(join(tmpdir(), 'sluice-xds-'));
  writeResourcesFile(join(dir, 'resources.json'), greeterResources({ listener: 'greeter', routeConfiguration: 'greeter-route', clusters: { 'greeter-stable': [stable.port], 'greeter-canary': [canary.port] } }));
});
afterAll(async () => {
  await Promise.all([stable.close(), canary.close(), csds.close()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function spec(id: string, nodeId: string): string {
  return JSON.stringify({
    id,
    service: 'greeter',
    baseline: 'v1',
    candidate: 'v2',
    window: 200,
    stages: [
      { name: 'canary', weightPercent: 12.34, durationMin: '1h', samplesMin: 10, gates: [] },
      { name: 'rest', weightPercent: 100, durationMin: '1h', samplesMin: 10, gates: [] },
    ],
    adapter: { type: 'envoy', options: { routeConfiguration: 'greeter-route', stableCluster: 'greeter-stable', canaryCluster: 'greeter-canary', resourcesFile: join(dir, 'resources.json'), nodes: [nodeId] } },
  });
}

async function startDaemon(db: string, xdsPort: number): Promise<Daemon> {
  const config = resolveDaemonConfig({ flags: { db, listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50, windowMsMin: 100, readBackIntervalMs: 200, xdsListen: `127.0.0.1:${xdsPort}` }, env: {} });
  const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
  return daemon;
}

function post(daemon: Daemon, path: string, body: string): Promise<Response> {
  return fetch(`${daemon.url}${path}`, { method: 'POST', headers, body });
}

async function heldRoute(nodeId: string): Promise<{ status: string; version: string; weights: Record<string, number> } | undefined> {
  const held = (await csds.held(nodeId)).find((r) => r.typeUrl === RDS_TYPE_URL && r.name === 'greeter-route');
  return held && { status: held.status, version: held.version, weights: weightsOf(held.config) };
}

function applied(daemon: Daemon, id: string, generation: number): true | undefined {
  return [...daemon.log.read(id)].some((e) => e.type === 'weight.applied' && e.data.generation === generation) ? true : undefined;
}

describe('sluice daemon --xds-listen', () => {
  it('refuses a non-loopback xDS address without --allow-non-loopback, and TLS settings that do not go together', async () => {
    const db = join(dir, 'refusals.db');
    const config = resolveDaemonConfig({ flags: { db, listen: '127.0.0.1:0', xdsListen: '0.0.0.0:0' }, env: {} });
    await expect(Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false })).rejects.toMatchObject({
      code: 'SLUICE_E_LISTEN_NOT_LOOPBACK',
      message: expect.stringContaining('refusing to serve xDS on 0.0.0.0:0'),
    });
    expect(() => resolveDaemonConfig({ flags: { db, xdsListen: '127.0.0.1:0', xdsTlsCert: '/c.pem' }, env: {} })).toThrow(/xdsTlsCert \(from flag --xds-tls-cert\): give both --xds-tls-cert and --xds-tls-key/);
    expect(() => resolveDaemonConfig({ flags: { db }, env: { SLUICE_XDS_TLS_CERT: '/c.pem', SLUICE_XDS_TLS_KEY: '/k.pem' } })).toThrow(/the --xds-tls-\* settings need --xds-listen/);
    expect(resolveDaemonConfig({ flags: { db }, env: { SLUICE_XDS_LISTEN: '127.0.0.1:18000' } }).xdsListen).toBe('127.0.0.1:18000');
  });

  it('refuses an envoy rollout at creation when the daemon runs no xDS server, saying how to start one', async () => {
    const running = await startTestDaemon();
    cleanups.push(() => running.stop());
    const response = await post(running.daemon, '/v1/rollouts', spec('no-xds', 'n'));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SLUICE_E_ADAPTER_OPTIONS');
    expect(body.error.message).toContain('start it with --xds-listen HOST:PORT');
  });

  it('drives the real gRPC client through the stages, refuses a second rollout of the same route, and after a restart serves the generation in force from the log', async () => {
    const db = join(dir, 'restart.db');
    const xdsPort = await freePort();
    let daemon = await startDaemon(db, xdsPort);
    cleanups.push(() => daemon.stop());
    const node = 'daemon-client';
    const client: GreeterClient = greeterClient('xds:///greeter', bootstrapFor(xdsPort, node));
    cleanups.push(() => client.close());

    expect((await post(daemon, '/v1/rollouts', spec('first', node))).status).toBe(201);
    await greet(client, 5_000);
    await eventually('the canary stage applied', () => applied(daemon, 'first', 1));
    expect(await heldRoute(node)).toMatchObject({ status: 'ACKED', version: '1', weights: { 'greeter-stable': 8_766, 'greeter-canary': 1_234 } });

    // The route belongs to a running rollout: a second one is refused at creation, naming it.
    const second = await post(daemon, '/v1/rollouts', spec('second', node));
    expect(second.status).toBe(422);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain('is served for rollout "first", which is still running');

    // Restart: the new server serves generation 1 at 12.34% from the log before any apply, and the client reconnects.
    await daemon.stop();
    daemon = await startDaemon(db, xdsPort);
    await eventually('the client to reconnect and ACK', async () => {
      const held = await heldRoute(node);
      return held?.status === 'ACKED' && daemonClients(daemon) > 0 ? held : undefined;
    });
    expect(await heldRoute(node)).toMatchObject({ version: '1', weights: { 'greeter-canary': 1_234 } });

    // Promote to the end: 100% (generation 2), then the rollout completes; after another restart its route stays at 100%.
    expect((await post(daemon, '/v1/rollouts/first/commands/promote-full', '{}')).status).toBe(200);
    await eventually('100% applied', () => [...daemon.log.read('first')].some((e) => e.type === 'weight.applied' && e.data.weightPercent === 100) ? true : undefined);
    const finalGeneration = [...daemon.log.read('first')].filter((e) => e.type === 'weight.applied').at(-1)!.data.generation;
    await eventually('the rollout to complete', () => ([...daemon.log.read('first')].some((e) => e.type === 'completed') ? true : undefined));
    await daemon.stop();
    daemon = await startDaemon(db, xdsPort);
    await eventually('the client to ACK after the second restart', async () => ((await heldRoute(node))?.version === String(finalGeneration) && daemonClients(daemon) > 0 ? true : undefined));
    expect(await heldRoute(node)).toMatchObject({ status: 'ACKED', weights: { 'greeter-canary': 10_000, 'greeter-stable': 0 } });
    const replies = await Promise.all(Array.from({ length: 10 }, () => greet(client)));
    expect(replies.map((r) => r.version)).toEqual(Array(10).fill('v2'));
  });
});

function daemonClients(daemon: Daemon): number {
  return daemon.xds?.plane.clients().length ?? 0;
}

describe('Envoy gRPC access-log service on the daemon\'s xDS server', () => {
  it('ingests the entries Envoy streams as the rollout\'s samples, judged in its windows', async () => {
    const xdsPort = await freePort();
    const daemon = await startDaemon(join(dir, 'als.db'), xdsPort);
    cleanups.push(() => daemon.stop());
    const spec = { id: 'als', service: 's', baseline: 'v1', candidate: 'v2', window: 200, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [] }], sources: { envoyAccessLog: { baselineClusters: ['app-v1'], candidateClusters: ['app-v2'] } } };
    expect((await post(daemon, '/v1/rollouts', JSON.stringify(spec))).status).toBe(201);
    const client = alsClient(xdsPort);
    cleanups.push(() => client.close());
    const now = Date.now();
    const entry = (cluster: string, code: number) => ({
      common_properties: { upstream_cluster: cluster, start_time: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 }, duration: { seconds: 0, nanos: 5_000_000 } },
      response: { response_code: { value: code } },
    });
    client.stream.write({ identifier: { node: { id: 'edge' }, log_name: 'edge' }, http_logs: { log_entry: [entry('app-v1', 200), entry('app-v1', 200), entry('app-v2', 503), entry('elsewhere', 200)] } });
    const windows = await eventually('the window holding the entries', () => {
      const logged = [...daemon.log.read('als')].filter((e) => e.type === 'samples.window');
      const totals = logged.reduce((t, e) => ({ baseline: t.baseline + e.data.baseline.count, canary: t.canary + e.data.canary.count, canaryErrors: t.canaryErrors + e.data.canary.errors }), { baseline: 0, canary: 0, canaryErrors: 0 });
      return totals.baseline + totals.canary === 3 ? totals : undefined;
    });
    expect(windows).toEqual({ baseline: 2, canary: 1, canaryErrors: 1 });
  });
});

