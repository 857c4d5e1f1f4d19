import type { AnyStoredEvent, SampleWindowData } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackServer, startPrivatePrometheus, type PrivatePrometheus } from './testing/privatePrometheus.js';
import { eventually, startTestDaemon } from './testing/startTestDaemon.js';

/**
 * The daemon's Prometheus pull path end to end: a real daemon runs rollouts whose specs have `sources.prometheus`, a
 * private real Prometheus scrapes a test exporter every second, and no sample is pushed — every window the judge sees
 * comes from Prometheus. A healthy canary is promoted to 100%; a canary whose exporter reports 50% errors is rolled
 * back by the error-rate breaker, with the pulled window's counts as evidence. Waits are bounded polls of the log.
 */

// Per second, per version label: requests and errors. v1 is the baseline; v2 a healthy candidate; v3 a faulty one.
const TRAFFIC = { v1: { rps: 100, eps: 1 }, v2: { rps: 20, eps: 0 }, v3: { rps: 20, eps: 10 } } as const;
const WINDOW_MS = 4_000;
const ROLLOUT_WAIT_MS = 90_000;

function exposition(elapsedSeconds: number): string {
  const lines = ['# TYPE http_requests_total counter', '# TYPE http_request_duration_seconds histogram'];
  for (const [version, t] of Object.entries(TRAFFIC)) {
    const requests = Math.floor(t.rps * elapsedSeconds);
    const errors = Math.floor(t.eps * elapsedSeconds);
    lines.push(`http_requests_total{version="${version}",code="200"} ${requests - errors}`);
    lines.push(`http_requests_total{version="${version}",code="500"} ${errors}`);
    // Every request within 50 ms, so only the error rate tells the versions apart.
    for (const le of ['0.05', '0.1', '+Inf']) lines.push(`http_request_duration_seconds_bucket{version="${version}",le="${le}"} ${requests}`);
    lines.push(`http_request_duration_seconds_count{version="${version}"} ${requests}`);
  }
  return `${lines.join('\n')}\n`;
}

const stage = (name: string, weightPercent: number, durationMin: string) => ({
  name,
  weightPercent,
  durationMin,
  samplesMin: 20,
  gates: [{ kind: 'errorRate', maxPercent: 10, samplesMin: 20 }],
});

describe('daemon rollouts judged from a real Prometheus (sources.prometheus)', () => {
  let exporter: Awaited<ReturnType<typeof startLoopbackServer>> | undefined;
  let prometheus: PrivatePrometheus | undefined;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>> | undefined;

  const specFor = (id: string, candidate: string, stages: unknown[]) => ({
    id,
    service: 'shop',
    baseline: 'v1',
    candidate,
    window: WINDOW_MS,
    // queryDelay: one scrape interval and a half, so each window's last scrape is in the TSDB when it is queried.
    sources: { prometheus: { url: prometheus!.url, selector: 'job="shop"', queryDelay: '1500ms', timeout: '5s' } },
    stages,
  });

  async function create(spec: object): Promise<void> {
    const response = await fetch(`${daemon!.daemon.url}/v1/rollouts`, { method: 'POST', headers: daemon!.headers, body: JSON.stringify(spec) });
    expect(response.status, await response.text()).toBe(201);
  }

  const eventsOf = (id: string): AnyStoredEvent[] => [...daemon!.daemon.log.read(id)];
  const endOf = (id: string) => () => eventsOf(id).find((e) => e.type === 'completed' || e.type === 'rollback.started' || e.type === 'aborted');
  const pulledWindows = (id: string): SampleWindowData[] => eventsOf(id).flatMap((e) => (e.type === 'samples.window' ? [e.data] : []));

  beforeAll(async () => {
    const startedAt = Date.now();
    exporter = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition((Date.now() - startedAt) / 1000));
    });
    prometheus = await startPrivatePrometheus({ shop: exporter.target });
    // Rollouts start once Prometheus has the exporter's series, so the first window is not read as "no data".
    await eventually('the exporter scraped', async () => {
      const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent('up{job="shop"}')}`);
      const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
      return body.data?.result?.[0]?.value[1] === '1' ? true : undefined;
    }, 30_000);
    daemon = await startTestDaemon();
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    await prometheus?.stop();
    await exporter?.close();
  }, 30_000);

  it('rolls a faulty canary back on windows pulled from Prometheus, and promotes a healthy one', async () => {
    await create(specFor('prom-faulty', 'v3', [stage('canary', 10, '1h')]));
    await create(specFor('prom-healthy', 'v2', [stage('canary', 10, '4s'), stage('rollout', 100, '4s')]));

    const faultyEnd = await eventually('the faulty rollout to end', endOf('prom-faulty'), ROLLOUT_WAIT_MS);
    expect(faultyEnd.type, JSON.stringify(faultyEnd.data)).toBe('rollback.started');
    expect(faultyEnd.data).toMatchObject({ reason: 'gate', gate: 'errorRate', stage: 'canary' });

    // The windows came from Prometheus (nothing was pushed): aligned whole windows with the exporter's rates — half
    // of v3's requests are errors, and the baseline serves five times the canary's requests. The first window may be
    // only partly covered by scrapes, so the rates are checked, not the counts (increase() extrapolates: allow 20%).
    const faultyWindows = pulledWindows('prom-faulty');
    expect(faultyWindows.length).toBeGreaterThanOrEqual(1);
    for (const window of faultyWindows) {
      expect(window.windowStartAt % WINDOW_MS).toBe(0);
      expect(window.windowEndAt - window.windowStartAt).toBe(WINDOW_MS);
      expect(window.canary.count).toBeGreaterThanOrEqual(20);
      expect(window.canary.errors / window.canary.count).toBeGreaterThan(0.4);
      expect(window.canary.errors / window.canary.count).toBeLessThan(0.6);
      expect(window.baseline.count / window.canary.count).toBeGreaterThan(4);
      expect(window.baseline.count / window.canary.count).toBeLessThan(6);
    }
    await eventually('the faulty canary back at 0%', () => eventsOf('prom-faulty').find((e) => e.type === 'rollback.completed'), ROLLOUT_WAIT_MS);
    const rollout = (await (await fetch(`${daemon!.daemon.url}/v1/rollouts/prom-faulty`, { headers: daemon!.headers })).json()) as { rollout: { state: { phase: string } } };
    expect(rollout.rollout.state.phase).toBe('rolledBack');

    const healthyEnd = await eventually('the healthy rollout to end', endOf('prom-healthy'), ROLLOUT_WAIT_MS);
    expect(healthyEnd.type, JSON.stringify(healthyEnd.data)).toBe('completed');
    const healthyWindows = pulledWindows('prom-healthy');
    expect(healthyWindows.length).toBeGreaterThanOrEqual(2);
    for (const window of healthyWindows) expect(window.canary.errors).toBe(0);
  }, 200_000);
});
