import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestSample } from '@sluice/core';
import { createAccessLogTail, freePort, startPrivateNginx, type AccessLogTail, type PrivateNginx } from '@sluice/adapters/nginx';
import { startDaemon, type DaemonHandle } from './daemonProcess.js';
import { startLoad, type LoadGenerator } from './loadGenerator.js';
import { startService, type Service } from './upstreams.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Samples of nginx's access log kept for measurements; older ones are dropped first. */
const OBSERVED_SAMPLES_MAX = 500_000;

export interface EnvironmentOptions {
  /** Requests per second the load generator sends through nginx. */
  ratePerSecond: number;
  /** Daemon scheduler tick; default 50 ms. */
  tickMs?: number;
  /** Daemon window grace: how long after its end a window still takes samples; default 300 ms. */
  windowGraceMs?: number;
  log?: (line: string) => void;
}

/** Everything the example starts; `stop` ends all of it, also after a failure half-way. */
export interface Environment {
  stable: Service;
  candidate: Service;
  nginx: PrivateNginx;
  daemon: DaemonHandle;
  tail: AccessLogTail;
  load: LoadGenerator;
  /** Samples read from nginx's access log by the example's own tail (nginx's own time in `at`). */
  observed: RequestSample[];
  log: (line: string) => void;
  stop(): Promise<void>;
}

export function ensureNginx(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', [join(repoRoot, 'scripts', 'ensure-nginx.sh')], { timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`scripts/ensure-nginx.sh failed: ${stderr || error.message}`)) : resolve(stdout.trim().split('\n').pop() || 'nginx'),
    );
  });
}

/** Cleanups of every environment starting or running in this process, for signal handlers. */
const activeEnvironments = new Set<() => Promise<void>>();

/** Stops every environment of this process, including one still starting (SIGINT during startup). */
export async function stopAllEnvironments(): Promise<void> {
  await Promise.all([...activeEnvironments].map((stop) => stop()));
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  // Idempotent: a signal handler and a failed start may both call it; each piece is stopped once, newest first.
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      activeEnvironments.delete(stopAll);
      while (stops.length > 0) await stops.pop()!().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    })());
  /** Registers how to stop a piece that just started; when stopping has begun meanwhile, stops it at once. */
  const track = async (stop: () => Promise<void>): Promise<void> => {
    if (stopping) {
      await stop().catch(() => undefined);
      throw new Error('stopped while starting');
    }
    stops.push(stop);
  };
  activeEnvironments.add(stopAll);
  try {
    const binary = await ensureNginx();
    log(`nginx: ${binary}`);
    const stable = await startService('stable');
    await track(() => stable.close());
    const candidate = await startService('candidate');
    await track(() => candidate.close());
    const nginx = await startPrivateNginx({ binary, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], workerProcesses: 1 });
    await track(() => nginx.stop());
    log(`private nginx on ${nginx.url} (prefix ${nginx.dir}), stable ${stable.address}, candidate ${candidate.address}`);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-example-'));
    await track(() => rm(dir, { recursive: true, force: true }));
    const daemon = await startDaemon({ dir, port: await freePort(), tickMs: options.tickMs ?? 50, windowGraceMs: options.windowGraceMs ?? 300 });
    await track(() => daemon.stop());
    await daemon.ready();
    log(`sluice daemon on ${daemon.url} (db ${join(dir, 'sluice.db')})`);

    const observed: RequestSample[] = [];
    const tail = createAccessLogTail(
      { path: nginx.accessLogPath, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], startAt: 'start', pollIntervalMs: 25 },
      { info: () => undefined, warn: (o, m) => log(`access log: ${m} ${JSON.stringify(o)}`) },
    );
    // The daemon tails the same log itself (the spec's sources.accessLog); this tail only keeps what nginx logged, for
    // the measurements.
    tail.start((samples) => {
      observed.push(...samples);
      if (observed.length > OBSERVED_SAMPLES_MAX) observed.splice(0, observed.length - OBSERVED_SAMPLES_MAX);
    });
    await track(() => tail.stop());
    const load = startLoad({ url: `${nginx.url}/`, ratePerSecond: options.ratePerSecond });
    await track(async () => void (await load.stop()));
    log(`load: ${options.ratePerSecond} requests/s through nginx`);
    return { stable, candidate, nginx, daemon, tail, load, observed, log, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
