import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrafficAdapter } from '@sluice/core';
import { createEnvoyAdapter, startGrpcServer, XdsControlPlane, type GrpcServerHandle } from '@sluice/adapters/envoy';
import { bootstrapFor, greet, greeterClient, greeterResources, registerXdsResolver, startBackend, writeResourcesFile, type Backend, type GreeterClient } from '@sluice/adapters/envoy/testing';
import { defineSuite } from '../lib/benchmark.js';

/**
 * Time to push one weight change to N connected xDS clients and have every one ACK it: `adapter.apply` from its call
 * to its resolution, with `nodes` listing all N node ids. The clients are real grpc-js-xds xDS clients (one per
 * channel, each with its own node id through the per-channel bootstrap its tests use), in this process: their
 * decoding shares the event loop with the server, as it would share the 2 cores with it anyway.
 * Each run pushes PUSHES changes (alternating 10% and 20%) and reports their p50 or p99.
 *
 * grpc-js-xds 1.14 opens new connections to every endpoint of both clusters on each RouteConfiguration update (about
 * 2 per client per push here) and closes the old ones when grpc-js's subchannel pool is swept, every 10 s. A hundred
 * clients pushed 25 times in a row hold ~10,000 sockets (both ends, the backends being in this process), so each run
 * first waits, untimed, for the sockets of the previous one to be closed: without it the second case ran out of file
 * descriptors (EMFILE at 20,000).
 */
const CLIENTS = 100;
const PUSHES = 25;

interface Fleet {
  plane: XdsControlPlane;
  server: GrpcServerHandle;
  backends: Backend[];
  clients: GreeterClient[];
  adapters: Map<number, TrafficAdapter>;
  dir: string;
}

let fleet: Fleet | undefined;
let generation = 0;

function openSockets(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false; // closed between the listing and the read
      }
    }).length;
  } catch {
    return undefined; // no /proc: not Linux
  }
}

let settledSockets: number | undefined;

/** Waits (at most 30 s) until the sockets left by earlier pushes are closed; without /proc, one pool sweep (12 s). */
async function settle(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = openSockets();
    if (open === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      return;
    }
    if ((settledSockets !== undefined && open <= settledSockets + 20) || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function pushes(count: number, adapter: TrafficAdapter): Promise<number[]> {
  await settle();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    generation++;
    const started = performance.now();
    await adapter.apply({ weightPercent: generation % 2 === 0 ? 10 : 20, generation });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 100) / 100;
}

async function adapterFor(size: number): Promise<TrafficAdapter> {
  const existing = fleet!.adapters.get(size);
  if (existing) return existing;
  const name = `push${size}`;
  const adapter = createEnvoyAdapter(
    { routeConfiguration: `${name}-route`, stableCluster: 'stable', canaryCluster: 'canary', resourcesFile: join(fleet!.dir, `${name}.json`), nodes: Array.from({ length: size }, (_, i) => `${name}-${i}`), verifyTimeoutMs: 60_000 },
    { rolloutId: name, xds: fleet!.plane },
  );
  fleet!.adapters.set(size, adapter);
  return adapter;
}

async function connect(size: number): Promise<void> {
  const name = `push${size}`;
  writeResourcesFile(join(fleet!.dir, `${name}.json`), greeterResources({ listener: name, routeConfiguration: `${name}-route`, clusters: { stable: [fleet!.backends[0]!.port], canary: [fleet!.backends[1]!.port] } }));
  await adapterFor(size);
  const clients = Array.from({ length: size }, (_, i) => greeterClient(`xds:///${name}`, bootstrapFor(fleet!.server.port, `${name}-${i}`)));
  fleet!.clients.push(...clients);
  // A channel resolves (and its xDS client subscribes) on its first call.
  await Promise.all(clients.map((c) => greet(c, 30_000)));
}

export default defineSuite({
  name: 'adapters: envoy xDS push to connected clients',
  async setup() {
    registerXdsResolver();
    const backends = [await startBackend('v1'), await startBackend('v2')];
    const plane = new XdsControlPlane();
    const server = await startGrpcServer('127.0.0.1:0', undefined, (s) => plane.addTo(s));
    fleet = { plane, server, backends, clients: [], adapters: new Map(), dir: mkdtempSync(join(tmpdir(), 'sluice-xds-bench-')) };
    await connect(1);
    await connect(CLIENTS);
    settledSockets = openSockets();
  },
  async teardown() {
    if (!fleet) return;
    for (const client of fleet.clients) client.close();
    fleet.plane.close();
    await fleet.server.close(500);
    await Promise.all(fleet.backends.map((b) => b.close()));
    rmSync(fleet.dir, { recursive: true, force: true });
    fleet = undefined;
  },
  cases: [
    {
      name: `weight change ACKed by all ${CLIENTS} clients, p50`,
      unit: 'ms',
      runs: 3,
      async measure() {
        return { value: percentile(await pushes(PUSHES, await adapterFor(CLIENTS)), 50), detail: `${PUSHES} pushes per run` };
      },
      reference: { name: 'the same push to 1 client, p50', measure: async () => percentile(await pushes(PUSHES, await adapterFor(1)), 50) },
      note: `${CLIENTS} grpc-js-xds clients (one xDS client each) subscribed to one RouteConfiguration; apply resolves once all ${CLIENTS} node ids ACKed.`,
    },
    {
      name: `weight change ACKed by all ${CLIENTS} clients, p99`,
      unit: 'ms',
      runs: 3,
      async measure() {
        return { value: percentile(await pushes(PUSHES, await adapterFor(CLIENTS)), 99), detail: `${PUSHES} pushes per run` };
      },
      reference: { name: 'the same push to 1 client, p99', measure: async () => percentile(await pushes(PUSHES, await adapterFor(1)), 99) },
    },
  ],
});
