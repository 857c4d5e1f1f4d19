import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { eventually } from './eventually.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** A free loopback port (for a child process that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** An HTTP server on an ephemeral loopback port, for test exporters; `close` ends open connections too. */
export async function startLoopbackServer(handler: RequestListener): Promise<{ server: Server; target: string; close(): Promise<void> }> {
  const server = createHttpServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    target,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export interface PrivatePrometheus {
  /** Base URL of the query API, e.g. `http://127.0.0.1:39123`. */
  readonly url: string;
  /** The last 4,000 characters of Prometheus's stderr, for failure messages. */
  log(): string;
  /** Stops Prometheus (SIGTERM, SIGKILL after 10 s) and removes its config and TSDB. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a private Prometheus (Debian's package, installed by scripts/ensure-prometheus.sh when missing) with a
 * temporary config and TSDB on a free loopback port, scraping each `job → host:port` target every second, and waits
 * (bounded) until it is ready. It never touches a system Prometheus.
 */
export async function startPrivatePrometheus(jobs: Record<string, string>): Promise<PrivatePrometheus> {
  const bin = execFileSync('sh', [join(REPO, 'scripts/ensure-prometheus.sh')], { encoding: 'utf8', timeout: 280_000 }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 900ms', 'scrape_configs:'];
  for (const [job, target] of Object.entries(jobs)) config.push(`  - job_name: ${job}`, '    static_configs:', `      - targets: ['${target}']`);
  writeFileSync(join(dir, 'prometheus.yml'), `${config.join('\n')}\n`);
  const child = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<boolean>((done) => child.once('exit', () => done(true)));
      child.kill('SIGTERM');
      const timer = new Promise<boolean>((done) => setTimeout(() => done(false), STOP_TIMEOUT_MS).unref());
      if (!(await Promise.race([exited, timer]))) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      `Prometheus ready on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}: ${log}`);
        const response = await request(`${url}/-/ready`, { headersTimeout: 1_000, bodyTimeout: 1_000 }).catch(() => undefined);
        await response?.body.dump();
        return response?.statusCode === 200 ? true : undefined;
      },
      READY_TIMEOUT_MS,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message} (Prometheus log: ${log})`);
  }
  return { url, log: () => log, stop };
}
