import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeLatencyHistogram, latencyQuantileMs, SpecValidationError } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePrometheusSourceConfig, variantSelector } from './prometheusConfig.js';
import { PrometheusNoDataError, PrometheusQueryError, PrometheusTokenMissingError, PrometheusUnavailableError } from './prometheusErrors.js';
import { createPrometheusSource, prometheusSourceOf } from './prometheusSource.js';
import { ManualTimers } from './timers.js';

type Answer = { status: number; body: unknown } | 'hang';
interface Seen {
  query: string;
  time: string;
  authorization: string | undefined;
}

/** A stub Prometheus API: answers each POST /api/v1/query with `answer(query)`. */
class StubPrometheus {
  readonly seen: Seen[] = [];
  private readonly hanging: ServerResponse[] = [];
  private readonly server: Server;
  answer: (query: string) => Answer = () => vector([]);

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const query = form.get('query') ?? '';
        this.seen.push({ query, time: form.get('time') ?? '', authorization: req.headers.authorization });
        const answer = req.url === '/prefix/api/v1/query' ? this.answer(query) : { status: 404, body: 'not found' };
        if (answer === 'hang') this.hanging.push(res);
        else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/prefix`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function vector(result: Array<{ metric?: Record<string, string>; value: string }>): Answer {
  return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: result.map((r) => ({ metric: r.metric ?? {}, value: [0, r.value] })) } } };
}

/** Healthy answers: baseline 1000 requests / 10 errors, canary 100 / 200 (clamped), buckets at 0.1 / 0.5 / +Inf. */
function healthyAnswer(query: string): Answer {
  const canary = query.includes('version="v2"');
  if (query.includes('_bucket')) {
    const total = canary ? '100' : '1000';
    return vector([
      { metric: { le: '0.1' }, value: canary ? '10' : '900' },
      { metric: { le: '0.5' }, value: total },
      { metric: { le: '+Inf' }, value: total },
    ]);
  }
  if (query.includes('code=~')) return vector([{ value: canary ? '200' : '10.2' }]);
  return vector([{ value: canary ? '100' : '999.6' }]);
}

const versions = { baseline: 'v1', candidate: 'v2' };

describe('Prometheus source config', () => {
  it('reports each problem with its path in the spec', () => {
    let error: unknown;
    try {
      parsePrometheusSourceConfig({ queries: { requests: 'sum(rate(x[5m]))' }, timeout: '1h', extra: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecValidationError);
    const paths = (error as SpecValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['sources.prometheus', 'sources.prometheus.queries.requests', 'sources.prometheus.timeout', 'sources.prometheus.url']);
    expect((error as Error).message).toMatch(/\$selector/);
  });

  it('builds variant selectors from the shared selector and the version label, or an override', () => {
    const config = parsePrometheusSourceConfig({ url: 'http://p:9090', selector: 'job="shop"', versionLabel: 'app_version' });
    expect(variantSelector(config, 'canary', 'v"2')).toBe('job="shop",app_version="v\\"2"');
    const overridden = parsePrometheusSourceConfig({ url: 'http://p:9090', selectors: { baseline: 'deployment="shop-stable"' } });
    expect(variantSelector(overridden, 'baseline', 'v1')).toBe('deployment="shop-stable"');
  });
});

describe('Prometheus source', () => {
  let stub: StubPrometheus;
  let url: string;

  beforeEach(async () => {
    stub = new StubPrometheus();
    url = await stub.listen();
  });
  afterEach(async () => stub.close());

  it('queries both variants at the window end with the window as range and builds the window', async () => {
    stub.answer = healthyAnswer;
    const source = createPrometheusSource({ url, bucketValue: 'upperBound', bearerTokenEnv: 'PROM_TOKEN' }, versions, { env: { PROM_TOKEN: 's3cret' } });
    const window = await source.queryWindow(1_700_000_000_000, 1_700_000_005_000);
    expect(window.windowStartAt).toBe(1_700_000_000_000);
    expect(window.baseline).toMatchObject({ count: 1000, errors: 10 });
    expect(window.canary).toMatchObject({ count: 100, errors: 100 });
    const canaryHistogram = decodeLatencyHistogram(window.canary.latencyHistogram);
    expect(canaryHistogram.totalCount).toBe(100);
    expect(latencyQuantileMs(canaryHistogram, 0.05)).toBeCloseTo(100, 0);
    expect(latencyQuantileMs(canaryHistogram, 0.5)).toBeCloseTo(500, 0);
    expect(stub.seen).toHaveLength(6);
    for (const seen of stub.seen) {
      expect(seen.time).toBe('1700000005.000');
      expect(seen.query).toContain('[5000ms]');
      expect(seen.authorization).toBe('Bearer s3cret');
    }
    expect(stub.seen.map((s) => s.query)).toContain('sum(increase(http_requests_total{version="v2"}[5000ms]))');
  });

  it('treats an empty result as no data, never a zero', async () => {
    stub.answer = (query) => (query.includes('version="v2"') && query.includes('_bucket') ? vector([]) : healthyAnswer(query));
    const source = createPrometheusSource({ url }, versions);
    const error = await source.queryWindow(0, 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusNoDataError);
    expect(error).toMatchObject({ code: 'SLUICE_E_PROMETHEUS_NO_DATA', variant: 'canary', field: 'queries.latencyBuckets' });
  });

  it('reports a rejected query with the field it came from', async () => {
    stub.answer = (query) =>
      query.includes('code=~') ? { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' } } : healthyAnswer(query);
    const source = createPrometheusSource({ url }, versions);
    const error = await source.queryWindow(0, 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as Error).message).toMatch(/sources\.prometheus\.queries\.errors failed: bad_data: parse error/);
  });

  it('refuses a count query that returns several series', async () => {
    stub.answer = (query) => (query.startsWith('sum(increase(http_requests_total{version') ? vector([{ value: '1' }, { value: '2' }]) : healthyAnswer(query));
    const source = createPrometheusSource({ url }, versions);
    await expect(source.queryWindow(0, 5_000)).rejects.toThrow(/wrap it in sum/);
  });

  it('reports a backend that is down or times out as unavailable', async () => {
    stub.answer = () => ({ status: 503, body: { status: 'error', errorType: 'unavailable', error: 'starting up' } });
    await expect(createPrometheusSource({ url }, versions).queryWindow(0, 5_000)).rejects.toBeInstanceOf(PrometheusUnavailableError);

    const timers = new ManualTimers();
    stub.answer = () => 'hang';
    const pending = createPrometheusSource({ url, timeout: '2s' }, versions, { timers }).queryWindow(0, 5_000).catch((e: unknown) => e);
    while (stub.seen.length < 9) await new Promise((resolve) => setImmediate(resolve));
    await timers.advanceBy(2_000);
    const error = await pending;
    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect((error as Error).message).toMatch(/timeout after 2000 ms/);

    const closed = new StubPrometheus();
    const deadUrl = await closed.listen();
    await closed.close();
    await expect(createPrometheusSource({ url: deadUrl }, versions).queryWindow(0, 5_000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('is built from a spec, refusing windows too short to query', () => {
    const spec = { baseline: 'v1', candidate: 'v2', window: 5_000, sources: { prometheus: { url } } };
    expect(prometheusSourceOf({ ...spec, sources: {} })).toBeUndefined();
    expect(prometheusSourceOf(spec)?.renderedQueries('canary', 5_000).requests).toBe('sum(increase(http_requests_total{version="v2"}[5000ms]))');
    expect(() => prometheusSourceOf({ ...spec, window: 500 })).toThrow(SpecValidationError);
  });

  it('refuses to start without the bearer token it was told to send', () => {
    expect(() => createPrometheusSource({ url, bearerTokenEnv: 'NOPE' }, versions, { env: {} })).toThrow(PrometheusTokenMissingError);
  });
});
