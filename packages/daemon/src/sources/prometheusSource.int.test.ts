import { decodeLatencyHistogram, latencyQuantileMs, type SampleWindowData } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../metrics/daemonMetrics.js';
import { startLoopbackServer, startPrivatePrometheus, type PrivatePrometheus } from '../testing/privatePrometheus.js';
import { eventually } from '../testing/startTestDaemon.js';
import { queryInstant } from './prometheusClient.js';
import { PrometheusNoDataError, PrometheusQueryError } from './prometheusErrors.js';
import { PrometheusPoller } from './prometheusPoller.js';
import { createPrometheusSource } from './prometheusSource.js';

/**
 * Runs a private Prometheus (testing/privatePrometheus.ts) scraping a test exporter every second, and reads windows
 * through the Prometheus source. Every wait is bounded; afterAll stops everything also when a test failed.
 */

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

describe('Prometheus source against a real Prometheus', () => {
  let exporter: Awaited<ReturnType<typeof startLoopbackServer>> | undefined;
  let metricsServer: Awaited<ReturnType<typeof startLoopbackServer>> | undefined;
  let prometheus: PrivatePrometheus | undefined;
  let url: string;

  beforeAll(async () => {
    const startedAt = Date.now();
    exporter = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition((Date.now() - startedAt) / 1000));
    });
    // The daemon's own /metrics exposition, scraped too, to show a real Prometheus accepts it.
    const metrics = createDaemonMetrics();
    metrics.setRolloutPhase('r1', 'progressing');
    metrics.setWeights('r1', { desiredPercent: 12.5, verifiedPercent: 12.5 });
    metrics.setGateVerdict('r1', 'canary', 'errors', 'pass');
    metrics.observeApply('nginx', 'applied', 0.02);
    metricsServer = await startLoopbackServer((_req, res) => {
      void metrics.render().then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
    });
    prometheus = await startPrivatePrometheus({ shop: exporter.target, sluice: metricsServer.target });
    url = prometheus.url;
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
    await metricsServer?.close();
  }, 30_000);

  it('reads window counts, errors and the latency histogram of both variants', async () => {
    const source = createPrometheusSource({ url, selector: 'job="shop"', timeout: '5s' }, { baseline: 'v1', candidate: 'v2' });
    // A 5 s window ending 1 s ago, once Prometheus has scraped for long enough to cover it.
    const windowOf = (): [number, number] => {
      const end = Math.floor(Date.now() / 1000) * 1000 - 1_000;
      return [end - 5_000, end];
    };
    await eventually(
      'the first scraped data',
      () =>
        source.queryWindow(...windowOf()).catch((e: unknown) => {
          if (e instanceof PrometheusNoDataError) return undefined;
          throw e;
        }),
      40_000,
    );
    // Real time has to pass for the scrapes to exist: wait until a whole window lies after the first data (plus a
    // scrape interval), so increase() sees the window from edge to edge.
    const firstDataAt = Date.now();
    await eventually('a window wholly after the first scrape', () => (windowOf()[0] >= firstDataAt + 1_000 ? true : undefined), 20_000);
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
      await eventually('two polled windows', () => (windows.length >= 2 ? true : undefined), 20_000);
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
    await eventually('the sluice job scraped', async () => {
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
