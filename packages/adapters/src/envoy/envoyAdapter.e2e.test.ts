import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '@grpc/grpc-js-xds';
import type { TrafficAdapter } from '@sluice/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvoyAdapter } from './envoyAdapter.js';
import { startGrpcServer, type GrpcServerHandle } from './grpcServer.js';
import { RDS_TYPE_URL } from './protoRoot.js';
import { startCsdsReader, weightsOf, type CsdsReader } from './testing/csds.js';
import { rawAdsClient, type RawAdsClient } from './testing/rawAdsClient.js';
import { waitUntil } from './testing/waitUntil.js';
import { bootstrapFor, greet, greeterClient, greeterResources, startBackend, writeResourcesFile, type Backend, type GreeterClient } from './testing/xdsFixtures.js';
import { XdsControlPlane } from './xdsControlPlane.js';

// Against the real proxyless gRPC xDS client (@grpc/grpc-js-xds): it subscribes, validates, ACKs or NACKs, and routes
// RPCs by the weights served; its CSDS says what it holds. A hand-driven ADS client covers what a real client does not
// do on demand (a stale nonce, an ACK held back, a disconnect in the middle of an update).
register();

let stable: Backend;
let canary: Backend;
let csds: CsdsReader;
let dir: string;
let plane: XdsControlPlane;
let server: GrpcServerHandle;
const cleanups: (() => unknown)[] = [];
let nodeCounter = 0;

beforeAll(async () => {
  stable = await startBackend('v1');
  canary = await startBackend('v2');
  csds = await startCsdsReader();
  dir = mkdtempSync(join(tmpdir(), 'sluice-envoy-'));
});

afterAll(async () => {
  await Promise.all([stable.close(), canary.close(), csds.close()]);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startPlane(port = 0): Promise<void> {
  plane = new XdsControlPlane();
  server = await startGrpcServer(`127.0.0.1:${port}`, undefined, (s) => plane.addTo(s));
  cleanups.push(async () => {
    plane.close();
    await server.close(100);
  });
}

function resourcesFile(name: string, options: { lbPolicy?: string; routeTemplate?: Record<string, unknown> } = {}): string {
  const path = join(dir, `${name}.json`);
  const resources = greeterResources({ listener: name, routeConfiguration: `${name}-route`, clusters: { [`${name}-stable`]: [stable.port], [`${name}-canary`]: [canary.port] }, ...(options.lbPolicy ? { lbPolicy: options.lbPolicy } : {}) });
  if (options.routeTemplate) resources.push({ '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', name: `${name}-route`, ...options.routeTemplate });
  writeResourcesFile(path, resources);
  return path;
}

function adapterFor(name: string, expect: { nodes: string[] } | { clientsMin: number }, extra: Record<string, unknown> = {}): TrafficAdapter {
  const adapter = createEnvoyAdapter(
    { routeConfiguration: `${name}-route`, stableCluster: `${name}-stable`, canaryCluster: `${name}-canary`, resourcesFile: join(dir, `${name}.json`), verifyTimeoutMs: 20_000, ...expect, ...extra },
    { rolloutId: `rollout-${name}`, xds: plane },
  );
  cleanups.push(() => adapter.close());
  return adapter;
}

function client(listener: string, nodeId: string, port = server.port): GreeterClient {
  const c = greeterClient(`xds:///${listener}`, bootstrapFor(port, nodeId));
  cleanups.push(() => c.close());
  return c;
}

function uniqueNode(label: string): string {
  return `${label}-${++nodeCounter}`;
}

async function routeHeld(nodeId: string, routeName: string): Promise<{ status: string; version: string; weights: Record<string, number>; error: string | undefined } | undefined> {
  const held = (await csds.held(nodeId)).find((r) => r.typeUrl === RDS_TYPE_URL && r.name === routeName);
  return held && { status: held.status, version: held.version, weights: weightsOf(held.config), error: held.error };
}

async function versions(c: GreeterClient, calls: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < calls; i++) {
    // A generous deadline: a loaded CI machine may take seconds to resolve a new channel; a lost call is not the point.
    const reply = await greet(c, 10_000);
    const key = reply.version ?? `error ${reply.error?.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('envoy adapter against the real gRPC xDS client', () => {
  it('serves weights 0, 0.01 and 100 in basis points: on the wire, in the client (CSDS) and in where RPCs go', async () => {
    await startPlane();
    resourcesFile('w');
    const node = uniqueNode('weights');
    const adapter = adapterFor('w', { nodes: [node] });
    const c = client('w', node);
    expect(await versions(c, 20)).toEqual({ v1: 20 });

    for (const [generation, weightPercent, stableBp, canaryBp] of [
      [1, 0.01, 9_999, 1],
      [2, 100, 0, 10_000],
      [3, 0, 10_000, 0],
    ] as const) {
      await expect(adapter.apply({ weightPercent, generation })).resolves.toEqual({ weightPercent, generation });
      const wire = plane.served(RDS_TYPE_URL).get('w-route')!;
      expect(wire.versionInfo).toBe(String(generation));
      const held = await routeHeld(node, 'w-route');
      expect(held).toMatchObject({ status: 'ACKED', version: String(generation), weights: { 'w-stable': stableBp, 'w-canary': canaryBp } });
      await expect(adapter.read()).resolves.toEqual({ weightPercent, generation });
      if (weightPercent === 100) expect(await versions(c, 20)).toEqual({ v2: 20 });
    }
    expect(await versions(c, 20)).toEqual({ v1: 20 });
  });

  it('splits RPCs by the weight served (50%)', async () => {
    await startPlane();
    resourcesFile('split');
    const node = uniqueNode('split');
    const adapter = adapterFor('split', { clientsMin: 1 });
    const c = client('split', node);
    await versions(c, 1);
    await adapter.apply({ weightPercent: 50, generation: 1 });
    const counts = await versions(c, 400);
    // 400 draws at p = 0.5: outside 140..260 has probability < 1e-9.
    expect(counts.v1! + counts.v2!).toBe(400);
    expect(counts.v2).toBeGreaterThan(140);
    expect(counts.v2).toBeLessThan(260);
  });

  it('a NACKed update fails apply with the client\'s own message and keeps serving the last good version', async () => {
    await startPlane();
    resourcesFile('nack');
    const node = uniqueNode('nack');
    const adapter = adapterFor('nack', { nodes: [node] });
    const c = client('nack', node);
    await versions(c, 1);
    await adapter.apply({ weightPercent: 10, generation: 1 });

    // The operator's route template gets a domain gRPC refuses: the client NACKs the next RouteConfiguration.
    resourcesFile('nack', { routeTemplate: { virtual_hosts: [{ name: 'vh', domains: ['ex*ample'], routes: [{ match: { prefix: '' }, route: { cluster: 'nack-stable' } }] }] } });
    const failure = await adapter.apply({ weightPercent: 20, generation: 2 }).then(
      () => undefined,
      (error: Error & { code?: string }) => error,
    );
    expect(failure?.code).toBe('SLUICE_E_ADAPTER_APPLY');
    expect(failure?.message).toContain(`node "${node}" rejected RouteConfiguration "nack-route" generation 2 (NACK)`);
    expect(failure?.message).toContain('wildcard in the middle');
    expect(failure?.message).toContain('serving the last good version again (generation 1, 10%)');
    // The last good version is what is served, what the client holds, and what read() says.
    expect(plane.served(RDS_TYPE_URL).get('nack-route')!.versionInfo).toBe('1');
    await expect(adapter.read()).resolves.toEqual({ weightPercent: 10, generation: 1 });
    // CSDS: the client refused generation 2 with that message and still holds generation 1.
    expect(await routeHeld(node, 'nack-route')).toMatchObject({ status: 'NACKED', version: '1', error: expect.stringContaining('wildcard in the middle') });
    expect((await versions(c, 20)).v1).toBeGreaterThan(0);

    // Fixed file: the next apply goes through.
    resourcesFile('nack');
    await expect(adapter.apply({ weightPercent: 20, generation: 3 })).resolves.toEqual({ weightPercent: 20, generation: 3 });
    expect(await routeHeld(node, 'nack-route')).toMatchObject({ status: 'ACKED', version: '3' });
  });

  it('make-before-break: a canary cluster the client rejects gets no weight', async () => {
    await startPlane();
    resourcesFile('mbb');
    const node = uniqueNode('mbb');
    const adapter = adapterFor('mbb', { nodes: [node] });
    const c = client('mbb', node);
    await versions(c, 1);
    resourcesFile('mbb', { lbPolicy: 'LEAST_REQUEST' });
    const failure = await adapter.apply({ weightPercent: 5, generation: 1 }).then(() => undefined, (e: Error) => e);
    expect(failure?.message).toMatch(/rejected Cluster "mbb-(stable|canary)" \(NACK\): .*unsupported lb_policy/);
    // No weight reached the canary: the route served is still generation 0 at 0%.
    expect(plane.served(RDS_TYPE_URL).get('mbb-route')!.versionInfo).toBe('0');
    expect(await routeHeld(node, 'mbb-route')).toMatchObject({ version: '0', weights: { 'mbb-canary': 0 } });
    expect(await versions(c, 10)).toEqual({ v1: 10 });
  });

  it('two clients where one ACKs late: applied only once both listed nodes ACKed', async () => {
    await startPlane();
    resourcesFile('late');
    const early = uniqueNode('early');
    const late = uniqueNode('late');
    const adapter = adapterFor('late', { nodes: [early, late] });
    const a = client('late', early);
    await versions(a, 1);
    let settled = false;
    const applying = adapter.apply({ weightPercent: 30, generation: 1 }).finally(() => (settled = true));
    await waitUntil('the early node to ACK generation 1', async () => ((await routeHeld(early, 'late-route'))?.version === '1' ? true : undefined));
    expect(settled).toBe(false);
    expect(plane.checkRoute('rollout-late', plane.publishedRouteIdentity('rollout-late'))).toMatchObject({ kind: 'pending', waitingFor: [`node "${late}" (not connected)`] });
    const b = client('late', late);
    await versions(b, 1);
    await expect(applying).resolves.toEqual({ weightPercent: 30, generation: 1 });
    expect(await routeHeld(late, 'late-route')).toMatchObject({ status: 'ACKED', version: '1' });
  });

  it('a timeout names the nodes that did not ACK, and an unverified increase goes back to the last good version', async () => {
    await startPlane();
    resourcesFile('timeout');
    const present = uniqueNode('present');
    const adapter = adapterFor('timeout', { nodes: [present, 'absent-node'] }, { verifyTimeoutMs: 300 });
    await versions(client('timeout', present), 1);
    const failure = await adapter.apply({ weightPercent: 40, generation: 1 }).then(() => undefined, (e: Error) => e);
    expect(failure?.message).toContain('node "absent-node" (not connected)');
    expect(plane.publishedState('rollout-timeout')).toEqual({ weightPercent: 0, generation: 0 });
  });

  it('a client that reconnects gets the current state, including what changed while it was away', async () => {
    await startPlane();
    resourcesFile('reconnect');
    const node = uniqueNode('reconnect');
    const adapter = adapterFor('reconnect', { nodes: [node] });
    const c = client('reconnect', node);
    await versions(c, 1);
    await adapter.apply({ weightPercent: 100, generation: 4 });
    const port = server.port;
    // The gRPC server goes away (the control plane keeps its state), a weight changes meanwhile, and the server comes
    // back on the same port: the client reconnects, gets generation 5, and the apply waiting for it completes.
    await server.close(0);
    await waitUntil('the stream to close', () => (plane.clients().length === 0 ? true : undefined));
    const applying = adapter.apply({ weightPercent: 50, generation: 5 });
    server = await startGrpcServer(`127.0.0.1:${port}`, undefined, (s) => plane.addTo(s));
    await expect(applying).resolves.toEqual({ weightPercent: 50, generation: 5 });
    expect(await routeHeld(node, 'reconnect-route')).toMatchObject({ status: 'ACKED', version: '5', weights: { 'reconnect-canary': 5_000 } });
  });

  it('serves 50 rollouts on one server, each with its own RouteConfiguration and clients', async () => {
    await startPlane();
    const count = 50;
    const adapters: TrafficAdapter[] = [];
    const clients: GreeterClient[] = [];
    const nodes: string[] = [];
    for (let i = 0; i < count; i++) {
      resourcesFile(`many${i}`);
      const node = uniqueNode(`many${i}`);
      nodes.push(node);
      adapters.push(adapterFor(`many${i}`, { nodes: [node] }));
      clients.push(client(`many${i}`, node));
    }
    await Promise.all(clients.map((c) => versions(c, 1)));
    await Promise.all(adapters.map((a, i) => a.apply({ weightPercent: i % 2 === 0 ? 100 : 0.01 * (i + 1), generation: i + 1 })));
    for (let i = 0; i < count; i++) {
      const held = await routeHeld(nodes[i]!, `many${i}-route`);
      const canaryBp = i % 2 === 0 ? 10_000 : i + 1;
      expect(held).toMatchObject({ status: 'ACKED', version: String(i + 1), weights: { [`many${i}-canary`]: canaryBp, [`many${i}-stable`]: 10_000 - canaryBp } });
    }
    expect(await versions(clients[0]!, 5)).toEqual({ v2: 5 });
    expect(plane.served(RDS_TYPE_URL).size).toBe(count);
  });
});

describe('ADS protocol details (hand-driven client)', () => {
  async function rawClient(node: string): Promise<RawAdsClient> {
    const raw = rawAdsClient(server.port, node);
    cleanups.push(() => raw.close());
    return raw;
  }

  it('ignores a request with a stale nonce: no NACK recorded, no subscription change', async () => {
    await startPlane();
    resourcesFile('stale1');
    resourcesFile('stale2');
    adapterFor('stale1', { clientsMin: 1 });
    adapterFor('stale2', { clientsMin: 1 });
    const raw = await rawClient('stale-node');
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['stale1-route'] });
    const first = await raw.next(RDS_TYPE_URL);
    expect(first.resources.map((r) => r.name)).toEqual(['stale1-route']);
    // Stale: a nonce the server never sent, a NACK and a new subscription in it. All ignored.
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['stale1-route', 'stale2-route'], nonce: 'not-a-nonce', errorMessage: 'should be ignored' });
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['stale1-route'], nonce: first.nonce, version: first.version_info });
    await waitUntil('the ACK', () => (plane.clients()[0]?.acks === 1 ? true : undefined));
    expect(plane.clients()[0]).toMatchObject({ staleIgnored: 1, nacks: 0, acks: 1 });
    expect(plane.checkRoute('rollout-stale1', plane.publishedRouteIdentity('rollout-stale1'))).toEqual({ kind: 'done' });
    expect(plane.checkRoute('rollout-stale2', plane.publishedRouteIdentity('rollout-stale2'))).toMatchObject({ kind: 'pending' });
  });

  it('sends nothing new while a response awaits its ACK, then coalesces the changes into one response', async () => {
    await startPlane();
    resourcesFile('coalesce');
    const adapter = adapterFor('coalesce', { clientsMin: 1 }, { resourcesFile: undefined });
    const raw = await rawClient('coalesce-node');
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['coalesce-route'] });
    const first = await raw.next(RDS_TYPE_URL);
    const applying = adapter.apply({ weightPercent: 10, generation: 1 });
    plane.publishRoute('rollout-coalesce', { weightPercent: 10, generation: 1 });
    // Generation 1 is served, but the client has not ACKed generation 0 yet: nothing is written to it.
    expect(plane.clients()[0]!.responses).toBe(1);
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['coalesce-route'], nonce: first.nonce, version: first.version_info });
    const second = await raw.next(RDS_TYPE_URL);
    expect(second.version_info).toBe('1');
    raw.request({ typeUrl: RDS_TYPE_URL, names: ['coalesce-route'], nonce: second.nonce, version: second.version_info });
    await expect(applying).resolves.toEqual({ weightPercent: 10, generation: 1 });
  });

  it('a client that disconnects in the middle of an update no longer counts (clientsMin), and is named when listed (nodes)', async () => {
    await startPlane();
    resourcesFile('gone');
    const adapter = adapterFor('gone', { clientsMin: 1 }, { resourcesFile: undefined });
    const stays = await rawClient('stays');
    const leaves = await rawClient('leaves');
    for (const raw of [stays, leaves]) raw.request({ typeUrl: RDS_TYPE_URL, names: ['gone-route'] });
    const [s1, l1] = [await stays.next(RDS_TYPE_URL), await leaves.next(RDS_TYPE_URL)];
    for (const [raw, r] of [[stays, s1], [leaves, l1]] as const) raw.request({ typeUrl: RDS_TYPE_URL, names: ['gone-route'], nonce: r.nonce, version: r.version_info });
    await waitUntil('both clients to ACK generation 0', () => (plane.clients().filter((c) => c.acks === 1).length === 2 ? true : undefined));
    let settled = false;
    const applying = adapter.apply({ weightPercent: 25, generation: 1 }).finally(() => (settled = true));
    const s2 = await stays.next(RDS_TYPE_URL);
    await leaves.next(RDS_TYPE_URL);
    stays.request({ typeUrl: RDS_TYPE_URL, names: ['gone-route'], nonce: s2.nonce, version: s2.version_info });
    await waitUntil('the staying client to ACK', () => (plane.clients().find((c) => c.node === 'stays')?.acks === 2 ? true : undefined));
    expect(settled).toBe(false);
    leaves.close();
    await expect(applying).resolves.toEqual({ weightPercent: 25, generation: 1 });
  });
});
