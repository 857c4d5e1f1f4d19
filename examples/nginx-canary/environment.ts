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
/** Samples per NDJSON batch sent to the daemon. */
const BATCH_SAMPLES_MAX = 5_000;

export interface EnvironmentOptions {
  /** Requests per second the load generator sends through nginx. */
  ratePerSecond: number;
  /** Daemon scheduler tick; default 50 ms. */
  tickMs?: number;
  /** Daemon window grace: how long after its end a window still takes samples; default 300 ms. */
  windowGraceMs?: number;
  /** Access-log poll interval; default 25 ms. */
  pollIntervalMs?: number;
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
  /** Samples read from nginx's access log, as the daemon received them (nginx's own time in `at`). */
  observed: RequestSample[];
  /** Rollout the access-log samples are sent to. */
  target: { rolloutId: string | undefined };
  /** Problems sending samples to the daemon, other than late samples. */
  sendErrors: string[];
  /** Samples the daemon accepted, and samples it refused as late. */
  delivery: { accepted: number; late: number };
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

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    stops.length = 0;
  };
  try {
    const binary = await ensureNginx();
    log(`nginx: ${binary}`);
    const stable = await startService('stable');
    stops.push(() => stable.close());
    const candidate = await startService('candidate');
    stops.push(() => candidate.close());
    const nginx = await startPrivateNginx({ binary, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], workerProcesses: 1 });
    stops.push(() => nginx.stop());
    log(`private nginx on ${nginx.url} (prefix ${nginx.dir}), stable ${stable.address}, candidate ${candidate.address}`);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-example-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const daemon = await startDaemon({ dir, port: await freePort(), tickMs: options.tickMs ?? 50, windowGraceMs: options.windowGraceMs ?? 300 });
    stops.push(() => daemon.stop());
    log(`sluice daemon on ${daemon.url} (db ${join(dir, 'sluice.db')})`);

    const observed: RequestSample[] = [];
    const target: { rolloutId: string | undefined } = { rolloutId: undefined };
    const sendErrors: string[] = [];
    const delivery = { accepted: 0, late: 0 };
    const tail = createAccessLogTail(
      { path: nginx.accessLogPath, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], startAt: 'start', pollIntervalMs: options.pollIntervalMs ?? 25 },
      { info: () => undefined, warn: (o, m) => log(`access log: ${m} ${JSON.stringify(o)}`) },
    );
    tail.start(async (samples) => {
      observed.push(...samples);
      if (observed.length > OBSERVED_SAMPLES_MAX) observed.splice(0, observed.length - OBSERVED_SAMPLES_MAX);
      const rolloutId = target.rolloutId;
      if (!rolloutId) return;
      for (let i = 0; i < samples.length; i += BATCH_SAMPLES_MAX) {
        const body = samples.slice(i, i + BATCH_SAMPLES_MAX).map((s) => JSON.stringify(s)).join('\n');
        const response = await daemon.request('POST', `/v1/rollouts/${rolloutId}/samples`, body, 'application/x-ndjson').catch((e: Error) => ({ status: 0, body: e.message }));
        const answer = response.body as { accepted?: number; rejected?: { reason: string }[]; rejectedCount?: number; error?: { code?: string } };
        delivery.accepted += answer.accepted ?? 0;
        // Samples of a window the daemon already judged are refused as late (the window grace bounds how long it
        // waits); they are counted, not errors. After the rollout ended the daemon takes no more samples.
        const late = (answer.rejected ?? []).filter((r) => r.reason.startsWith('late')).length;
        delivery.late += late;
        if (answer.error?.code === 'SLUICE_E_ROLLOUT_TERMINAL') continue;
        if ((answer.rejectedCount ?? 0) > late || (response.status !== 200 && response.status !== 207 && late === 0)) {
          if (sendErrors.length < 100) sendErrors.push(`${response.status} ${JSON.stringify(response.body).slice(0, 300)}`);
        }
      }
    });
    stops.push(() => tail.stop());
    const load = startLoad({ url: `${nginx.url}/`, ratePerSecond: options.ratePerSecond });
    stops.push(async () => void (await load.stop()));
    log(`load: ${options.ratePerSecond} requests/s through nginx`);
    return { stable, candidate, nginx, daemon, tail, load, observed, target, sendErrors, delivery, log, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
