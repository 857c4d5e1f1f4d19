import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthCheckedData } from '@sluice/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthProber, healthProbeConfigOf } from './healthProber.js';
import { ManualTimers } from './timers.js';

interface Result {
  rolloutId: string;
  data: HealthCheckedData;
  at: number;
}

/** A local server whose behaviour per path is set by the test; `hang` keeps requests open until the test ends. */
class TestServer {
  readonly server: Server;
  readonly hanging: ServerResponse[] = [];
  requests = 0;
  concurrent = 0;
  concurrentMax = 0;
  private arrivals: Array<() => void> = [];

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.requests++;
      this.concurrent++;
      this.concurrentMax = Math.max(this.concurrentMax, this.concurrent);
      res.on('close', () => this.concurrent--);
      for (const wake of this.arrivals.splice(0)) wake();
      if (req.url === '/ok') res.end('ok');
      else if (req.url === '/down') res.writeHead(503).end('down');
      else if (req.url === '/big') res.end('x'.repeat(1_000_000));
      else if (req.url?.startsWith('/hang')) this.hanging.push(res);
      else res.writeHead(404).end();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once the server has seen `count` requests in total (bounded by the test timeout). */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests < count) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('HealthProber', () => {
  let server: TestServer;
  let base: string;
  let timers: ManualTimers;
  let results: Result[];
  let waiters: Array<() => void>;
  let prober: HealthProber;

  const nextResults = async (count: number): Promise<Result[]> => {
    while (results.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return results.slice(0, count);
  };

  beforeEach(async () => {
    server = new TestServer();
    base = await server.listen();
    timers = new ManualTimers();
    results = [];
    waiters = [];
    prober = new HealthProber({
      timers,
      concurrencyMax: 2,
      onResult: (rolloutId, data, at) => {
        results.push({ rolloutId, data, at });
        for (const wake of waiters.splice(0)) wake();
      },
    });
  });

  afterEach(async () => {
    await server.close();
    await prober.close();
  });

  it('reports a 2xx as healthy with the time the probe finished, once per interval', async () => {
    prober.start('r1', { url: `${base}/ok`, intervalMs: 5_000, timeoutMs: 1_000 });
    await timers.advanceBy(4_999);
    expect(server.requests).toBe(0);
    await timers.advanceBy(1);
    const [first] = await nextResults(1);
    expect(first).toEqual({ rolloutId: 'r1', data: { ok: true, target: `${base}/ok`, detail: 'HTTP 200' }, at: timers.now() });
    await timers.advanceBy(5_000);
    await nextResults(2);
    expect(server.requests).toBe(2);
  });

  it('reports a non-2xx status and a large body as what they are', async () => {
    prober.start('down', { url: `${base}/down`, intervalMs: 1_000, timeoutMs: 500 });
    prober.start('big', { url: `${base}/big`, intervalMs: 1_000, timeoutMs: 500 });
    await timers.advanceBy(1_000);
    const got = await nextResults(2);
    const byId = Object.fromEntries(got.map((r) => [r.rolloutId, r.data]));
    expect(byId.down).toMatchObject({ ok: false, detail: 'HTTP 503' });
    expect(byId.big).toMatchObject({ ok: true, detail: 'HTTP 200' });
  });

  it('reports a refused connection as unhealthy with the error', async () => {
    const closed = new TestServer();
    const deadUrl = `${await closed.listen()}/ok`;
    await closed.close();
    prober.start('r1', { url: deadUrl, intervalMs: 1_000, timeoutMs: 500 });
    await timers.advanceBy(1_000);
    const [result] = await nextResults(1);
    expect(result?.data.ok).toBe(false);
    expect(result?.data.detail).toMatch(/ECONNREFUSED/);
  });

  it('times out a probe on the injected clock and never overlaps probes of one rollout', async () => {
    prober.start('r1', { url: `${base}/hang`, intervalMs: 1_000, timeoutMs: 2_500 });
    await timers.advanceBy(1_000);
    await server.waitForRequests(1);
    // Two more ticks while the first probe hangs: both skipped, still one request.
    await timers.advanceBy(1_000);
    await timers.advanceBy(1_000);
    expect(server.requests).toBe(1);
    expect(prober.skippedCount).toBe(2);
    await timers.advanceBy(500); // t = 3.5 s: the probe started at 1 s times out at 3.5 s
    const [result] = await nextResults(1);
    expect(result?.data).toEqual({ ok: false, target: `${base}/hang`, detail: 'timeout after 2500 ms' });
    expect(result?.at).toBe(timers.now());
    await timers.advanceBy(500); // t = 4 s: next tick probes again
    await server.waitForRequests(2);
  });

  it('keeps probes across rollouts within concurrencyMax', async () => {
    for (const id of ['a', 'b', 'c']) prober.start(id, { url: `${base}/hang-${id}`, intervalMs: 1_000, timeoutMs: 10_000 });
    await timers.advanceBy(1_000);
    await server.waitForRequests(2);
    expect(server.concurrent).toBe(2);
    // The first two time out at 11 s; the third then gets a slot.
    await timers.advanceBy(10_000);
    await server.waitForRequests(3);
    expect(server.concurrentMax).toBe(2);
  });

  it('stops a rollout: no more timers, and a result in flight is dropped', async () => {
    prober.start('r1', { url: `${base}/hang`, intervalMs: 1_000, timeoutMs: 5_000 });
    prober.start('r1', { url: `${base}/hang`, intervalMs: 1_000, timeoutMs: 5_000 }); // same config: no-op
    await timers.advanceBy(1_000);
    await server.waitForRequests(1);
    prober.stop('r1');
    expect(prober.isProbing('r1')).toBe(false);
    await timers.advanceBy(10_000);
    expect(results).toEqual([]);
    expect(server.requests).toBe(1);
    expect(timers.pendingCount).toBe(0);
  });

  it('raises intervals that would hammer the target to the minimum', async () => {
    prober.start('r1', { url: `${base}/ok`, intervalMs: 0, timeoutMs: 1_000 });
    await timers.advanceBy(99);
    expect(server.requests).toBe(0);
    await timers.advanceBy(1);
    await nextResults(1);
  });

  it('reads its config from a validated spec', () => {
    expect(healthProbeConfigOf({ sources: {} })).toBeUndefined();
    expect(healthProbeConfigOf({ sources: { health: { url: 'http://x/', interval: 5_000, timeout: 2_000 } } })).toEqual({
      url: 'http://x/',
      intervalMs: 5_000,
      timeoutMs: 2_000,
    });
  });
});
