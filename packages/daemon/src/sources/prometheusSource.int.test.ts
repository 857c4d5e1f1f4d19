import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeLatencyHistogram, latencyQuantileMs, type SampleWindowData } from '@sluice/core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../metrics/daemonMetrics.js';
import { queryInstant } from './prometheusClient.js';
import { PrometheusNoDataError, PrometheusQueryError } from './prometheusErrors.js';
import { PrometheusPoller } from './prometheusPoller.js';
import { createPrometheusSource } from './prometheusSource.js';

/**
 * Runs a private Prometheus (Debian's package, installed by scripts/ensure-prometheus.sh when missing) with a
 * temporary config and TSDB on a loopback port, scraping a test exporter every second, and reads windows through the
 * Prometheus source. Every wait is bounded; afterAll stops everything also when a test failed.
 */
const REPO = resolve(import.meta.dirname, '../../../..');

// Synthetic traffic, per second: baseline 100 requests, 1 error, all ≤ 100 ms; canary 20 requests, 4 errors,
// half ≤ 100 ms and half in (250 ms, 500 ms].
const TRAFFIC = {
  v1: { rps: 100, eps: 1, buckets: [[0.05, 90], [0.1, 100], [0.25, 100], [0.5, 100], [1, 100]] },
  v2: { rps: 20, eps: 4, buckets: [[0.05, 0], [0.1, 10], [0.25, 10], [0.5, 20], [1, 20]] },
} as const;

function exposition(elapsedSeconds: number): string {
  const lines = ['# TYPE http_requests_total counter', '# TYPE http_request_duration_seconds histogram'];
  for (const [version, t] of Object.entries(TRAFFIC)) {
    const ok = Math.floor((t.rps - t.eps) * elapsedSeconds);
    const errors = Math.floor(t.eps * elapsedSeconds);
    lines.push(`http_requests_total{version="${version}",code="200"} ${ok}`);
    lines.push(`http_requests_total{version="${version}",code="500"} ${errors}`);
    for (const [le, perSecond] of t.buckets) lines.push(`http_request_duration_seconds_bucket{version="${version}",le="${le}"} ${Math.floor(perSecond * elapsedSeconds)}`);
    lines.push(`http_request_duration_seconds_bucket{version="${version}",le="+Inf"} ${Math.floor(t.rps * elapsedSeconds)}`);
    lines.push(`http_request_duration_seconds_count{version="${version}"} ${Math.floor(t.rps * elapsedSeconds)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls `attempt` every `everyMs` until it returns a value, at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, everyMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('Prometheus source against a real Prometheus', () => {
  let dir: string;
  let exporter: Server;
  let metricsServer: Server;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let url: string;

  beforeAll(async () => {
    const bin = execFileSync('sh', [join(REPO, 'scripts/ensure-prometheus.sh')], { encoding: 'utf8', timeout: 280_000 }).trim();
    dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
    const startedAt = Date.now();
    exporter = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition((Date.now() - startedAt) / 1000));
    });
    await new Promise<void>((done) => exporter.listen(0, '127.0.0.1', done));
    const exporterPort = (exporter.address() as AddressInfo).port;
    // The daemon's own /metrics exposition, scraped too, to show a real Prometheus accepts it.
    const metrics = createDaemonMetrics();
    metrics.setRolloutPhase('r1', 'progressing');
    metrics.setWeights('r1', { desiredPercent: 12.5, verifiedPercent: 12.5 });
    metrics.setGateVerdict('r1', 'canary', 'errors', 'pass');
    metrics.observeApply('nginx', 'applied', 0.02);
    metricsServer = createHttpServer((_req, res) => {
      void metrics.render().then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
    });
    await new Promise<void>((done) => metricsServer.listen(0, '127.0.0.1', done));
    const metricsPort = (metricsServer.address() as AddressInfo).port;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 900ms',
        'scrape_configs:',
        '  - job_name: shop',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${exporterPort}']`,
        '  - job_name: sluice',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      bin,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-4_000)));
    await until(`Prometheus ready on ${url} (log: ${prometheusLog})`, 30_000, 200, async () => {
      const response = await request(`${url}/-/ready`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await response.body.dump();
      return response.statusCode === 200 ? true : undefined;
    });
  }, 300_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((done) => prometheus!.once('exit', done));
      prometheus.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) prometheus.kill('SIGKILL');
    }
    if (exporter) {
      exporter.closeAllConnections();
      await new Promise<void>((done) => exporter.close(() => done()));
    }
    if (metricsServer) {
      metricsServer.closeAllConnections();
      await new Promise<void>((done) => metricsServer.close(() => done()));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('reads window counts, errors and the latency histogram of both variants', async () => {
    const source = createPrometheusSource({ url, selector: 'job="shop"', timeout: '5s' }, { baseline: 'v1', candidate: 'v2' });
    // A 5 s window ending 1 s ago, once Prometheus has scraped for long enough to cover it.
    const windowOf = (): [number, number] => {
      const end = Math.floor(Date.now() / 1000) * 1000 - 1_000;
      return [end - 5_000, end];
    };
    await until('7 s of scrapes', 40_000, 500, async () => {
      const answer = await source.queryWindow(...windowOf()).catch((e: unknown) => {
        if (e instanceof PrometheusNoDataError) return undefined;
        throw e;
      });
      return answer;
    });
    await sleep(7_000);
    const window: SampleWindowData = await source.queryWindow(...windowOf());

    // increase() extrapolates to the window edges: allow 20%.
    expect(window.baseline.count).toBeGreaterThan(400);
    expect(window.baseline.count).toBeLessThan(600);
    expect(window.baseline.errors).toBeGreaterThanOrEqual(3);
    expect(window.baseline.errors).toBeLessThanOrEqual(7);
    expect(window.canary.count).toBeGreaterThan(80);
    expect(window.canary.count).toBeLessThan(120);
    expect(window.canary.errors).toBeGreaterThanOrEqual(15);
    expect(window.canary.errors).toBeLessThanOrEqual(25);

    const baselineLatency = decodeLatencyHistogram(window.baseline.latencyHistogram);
    const canaryLatency = decodeLatencyHistogram(window.canary.latencyHistogram);
    expect(latencyQuantileMs(baselineLatency, 0.99)).toBeLessThanOrEqual(100);
    const canaryP90 = latencyQuantileMs(canaryLatency, 0.9)!;
    expect(canaryP90).toBeGreaterThan(250);
    expect(canaryP90).toBeLessThanOrEqual(500);
    const canaryP25 = latencyQuantileMs(canaryLatency, 0.25)!;
    expect(canaryP25).toBeGreaterThan(50);
    expect(canaryP25).toBeLessThanOrEqual(100);
  }, 90_000);

  it('polls aligned windows on the real clock', async () => {
    const source = createPrometheusSource({ url, selector: 'job="shop"', queryDelay: '1500ms' }, { baseline: 'v1', candidate: 'v2' });
    const windows: SampleWindowData[] = [];
    const errors: unknown[] = [];
    const poller = new PrometheusPoller({ onWindow: (_id, data) => windows.push(data), onError: (_id, error) => errors.push(error) });
    try {
      poller.start('r1', { source, windowMs: 3_000 });
      await until('two polled windows', 20_000, 100, async () => (windows.length >= 2 ? true : undefined));
    } finally {
      await poller.close();
    }
    expect(errors).toEqual([]);
    for (const window of windows) {
      expect(window.windowStartAt % 3_000).toBe(0);
      expect(window.windowEndAt - window.windowStartAt).toBe(3_000);
      expect(window.baseline.count).toBeGreaterThan(200);
      expect(window.canary.count).toBeGreaterThan(40);
    }
    expect(windows[1]!.windowStartAt).toBe(windows[0]!.windowEndAt);
  }, 30_000);

  it("scrapes the daemon's /metrics exposition without errors", async () => {
    const client = { url, timeoutMs: 5_000 };
    const at = () => Date.now() / 1000;
    await until('the sluice job scraped', 20_000, 250, async () => {
      const up = await queryInstant(client, 'test', 'up{job="sluice"}', at());
      return up[0]?.value === 1 ? true : undefined;
    });
    const weight = await queryInstant(client, 'test', 'sluice_rollout_weight_desired_percent{rollout="r1"}', at());
    expect(weight.map((s) => s.value)).toEqual([12.5]);
    const verdict = await queryInstant(client, 'test', 'sluice_gate_verdict{rollout="r1",verdict="pass"}', at());
    expect(verdict.map((s) => s.value)).toEqual([1]);
  });

  it('reports a selector that matches nothing as no data, and a broken query as a query error', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const missing = createPrometheusSource({ url, selector: 'job="shop"' }, { baseline: 'v1', candidate: 'v9' });
    await expect(missing.queryWindow(now - 5_000, now)).rejects.toMatchObject({ code: 'SLUICE_E_PROMETHEUS_NO_DATA', variant: 'canary' });
    const broken = createPrometheusSource({ url, queries: { requests: 'sum(increase(http_requests_total{$selector}[$window])' } }, { baseline: 'v1', candidate: 'v2' });
    const error = await broken.queryWindow(now - 5_000, now).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as Error).message).toMatch(/bad_data/);
  });
});
