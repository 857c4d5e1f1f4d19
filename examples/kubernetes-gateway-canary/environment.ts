import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestSample } from '@sluice/core';
import { createAccessLogTail, freePort, type AccessLogTail } from '@sluice/adapters/nginx';
import { startTestApiServer, type TestApiServer } from '@sluice/test-apiserver';
import { startDaemon, type DaemonHandle } from '../nginx-canary/daemonProcess.js';
import { startLoad, type LoadGenerator } from '../nginx-canary/loadGenerator.js';
import { startService, type Service } from '../nginx-canary/upstreams.js';
import { startGateway, type Gateway } from './gateway.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');

/** Samples of the gateway's access log kept for measurements; older ones are dropped first. */
const OBSERVED_SAMPLES_MAX = 500_000;
export const NAMESPACE = 'shop';
export const ROUTE = 'checkout';

export interface EnvironmentOptions {
  /** Requests per second the load generator sends through the gateway. */
  ratePerSecond: number;
  /** Daemon scheduler tick; default 50 ms. */
  tickMs?: number;
  /** Daemon window grace; default 300 ms. */
  windowGraceMs?: number;
  /**
   * The daemon's periodic read-back; default 60 s, so that a hand edit re-applied within seconds shows it was seen
   * through the adapter's watch, not by polling.
   */
  readBackIntervalMs?: number;
  log?: (line: string) => void;
}

/** Everything the example starts; `stop` ends all of it, also after a failure half-way. */
export interface Environment {
  apiServer: TestApiServer;
  kubeconfigPath: string;
  kubectl: string;
  stable: Service;
  candidate: Service;
  gateway: Gateway;
  daemon: DaemonHandle;
  tail: AccessLogTail;
  load: LoadGenerator;
  accessLogPath: string;
  /** Samples from the gateway's access log (the gateway's own time in `at`). */
  observed: RequestSample[];
  /** Runs kubectl against the test API server; resolves with stdout, rejects with stderr. */
  kubectlRun(args: string[], input?: string): Promise<string>;
  log: (line: string) => void;
  stop(): Promise<void>;
}

export function ensureKubectl(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', [join(repoRoot, 'scripts', 'ensure-kubectl.sh')], { timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`scripts/ensure-kubectl.sh failed: ${stderr || error.message}`)) : resolve(stdout.trim().split('\n').pop() || 'kubectl'),
    );
  });
}

const activeEnvironments = new Set<() => Promise<void>>();

/** Stops every environment of this process, including one still starting (SIGINT during startup). */
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
    const kubectl = await ensureKubectl();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-k8s-example-'));
    await track(() => rm(dir, { recursive: true, force: true }));
    // The example's gateway writes the route's status itself once it routes by it; the server's own controller stays out.
    const apiServer = await startTestApiServer({ faults: { controller: { mode: 'never' } } });
    await track(() => apiServer.close());
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, apiServer.kubeconfig(NAMESPACE));
    const kubectlRun = (args: string[], input?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = execFile(kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfigPath }, timeout: 30_000 }, (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)));
        if (input !== undefined) child.stdin!.end(input);
      });
    log(`test API server on ${apiServer.url}; ${(await kubectlRun(['apply', '-f', '-'], await readFile(join(here, 'route.yaml'), 'utf8'))).trim()}`);

    const stable = await startService('stable');
    await track(() => stable.close());
    const candidate = await startService('candidate');
    await track(() => candidate.close());
    const accessLogPath = join(dir, 'gateway-access.log');
    const gateway = await startGateway({
      kubeconfigPath,
      namespace: NAMESPACE,
      route: ROUTE,
      gatewayName: 'example-gateway',
      backends: { stable: { name: 'checkout-stable', url: `http://${stable.address}` }, canary: { name: 'checkout-canary', url: `http://${candidate.address}` } },
      accessLogPath,
      log,
    });
    await track(() => gateway.close());
    log(`gateway on ${gateway.proxy.url} (stable ${stable.address}, candidate ${candidate.address}), access log ${accessLogPath}`);

    const daemon = await startDaemon({ dir, port: await freePort(), tickMs: options.tickMs ?? 50, windowGraceMs: options.windowGraceMs ?? 300, readBackIntervalMs: options.readBackIntervalMs ?? 60_000 });
    await track(() => daemon.stop());
    await daemon.ready();
    log(`sluice daemon on ${daemon.url}`);

    const observed: RequestSample[] = [];
    const tail = createAccessLogTail(
      { path: accessLogPath, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], startAt: 'start', pollIntervalMs: 25 },
      { info: () => undefined, warn: (o, m) => log(`access log: ${m} ${JSON.stringify(o)}`) },
    );
    tail.start((samples) => {
      observed.push(...samples);
      if (observed.length > OBSERVED_SAMPLES_MAX) observed.splice(0, observed.length - OBSERVED_SAMPLES_MAX);
    });
    await track(() => tail.stop());
    const load = startLoad({ url: `${gateway.proxy.url}/`, ratePerSecond: options.ratePerSecond });
    await track(async () => void (await load.stop()));
    log(`load: ${options.ratePerSecond} requests/s through the gateway`);
    return { apiServer, kubeconfigPath, kubectl, stable, candidate, gateway, daemon, tail, load, accessLogPath, observed, kubectlRun, log, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
