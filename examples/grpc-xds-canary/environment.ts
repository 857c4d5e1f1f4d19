import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/adapters/nginx';
import { greeterResources, writeResourcesFile } from '@sluice/adapters/envoy/testing';
import { startDaemon, type DaemonHandle } from '../nginx-canary/daemonProcess.js';
import { startClients, type ClientFleet } from './clients.js';
import { startGreeter, type GreeterService } from './services.js';

export interface EnvironmentOptions {
  /** RPCs per second, all clients together. */
  ratePerSecond: number;
  /** Client processes (each its own xDS client and node id); default 2. */
  clients?: number;
  tickMs?: number;
  windowGraceMs?: number;
  log?: (line: string) => void;
}

/** Everything the example starts; `stop` ends all of it, also after a failure half-way. */
export interface Environment {
  /** v1 (stable), v2 (a healthy candidate), v3 (a candidate that goes bad). */
  services: Record<'v1' | 'v2' | 'v3', GreeterService>;
  daemon: DaemonHandle;
  xdsPort: number;
  resourcesFile: string;
  clients: ClientFleet;
  log: (line: string) => void;
  stop(): Promise<void>;
}

/** Cleanups of every environment starting or running in this process, for signal handlers. */
const activeEnvironments = new Set<() => Promise<void>>();

export async function stopAllEnvironments(): Promise<void> {
  await Promise.all([...activeEnvironments].map((stop) => stop()));
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      activeEnvironments.delete(stopAll);
      while (stops.length > 0) await stops.pop()!().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    })());
  const track = async (stop: () => Promise<void>): Promise<void> => {
    if (stopping) {
      await stop().catch(() => undefined);
      throw new Error('stopped while starting');
    }
    stops.push(stop);
  };
  activeEnvironments.add(stopAll);
  try {
    const services = {} as Record<'v1' | 'v2' | 'v3', GreeterService>;
    for (const version of ['v1', 'v2', 'v3'] as const) {
      services[version] = await startGreeter(version);
      await track(() => services[version].close());
    }
    const dir = await mkdtemp(join(tmpdir(), 'sluice-grpc-example-'));
    await track(() => rm(dir, { recursive: true, force: true }));
    // What a proxyless client needs besides the route: the listener `greeter` (xds:///greeter) pointing at the route
    // Sluice owns, and one EDS cluster per version with its endpoint.
    const resourcesFile = join(dir, 'resources.json');
    writeResourcesFile(
      resourcesFile,
      greeterResources({ listener: 'greeter', routeConfiguration: 'greeter-route', clusters: { 'greeter-v1': [services.v1.port], 'greeter-v2': [services.v2.port], 'greeter-v3': [services.v3.port] } }),
    );
    const xdsPort = await freePort();
    const daemon = await startDaemon({ dir, port: await freePort(), tickMs: options.tickMs ?? 50, windowGraceMs: options.windowGraceMs ?? 300, extraArgs: ['--xds-listen', `127.0.0.1:${xdsPort}`] });
    await track(() => daemon.stop());
    await daemon.ready();
    log(`sluice daemon on ${daemon.url}, xDS on 127.0.0.1:${xdsPort}; services v1 :${services.v1.port}, v2 :${services.v2.port}, v3 :${services.v3.port}`);
    const clients = startClients({ count: options.clients ?? 2, ratePerSecond: options.ratePerSecond, xdsPort, daemonUrl: daemon.url, token: daemon.token });
    await track(() => clients.stop());
    await clients.started(60_000);
    log(`${clients.nodeIds.length} gRPC client processes (${clients.nodeIds.join(', ')}) at ${options.ratePerSecond} RPC/s in all, target xds:///greeter`);
    return { services, daemon, xdsPort, resourcesFile, clients, log, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
