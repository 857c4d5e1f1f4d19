import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestSample } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binomialBound, seededRandom } from '../testing/seededRandom.js';
import { createInprocessAdapter } from './inprocessAdapter.js';
import { startRoutingProxy, type RoutingProxy } from './routingProxy.js';
import { createWeightedRouter } from './weightedRouter.js';

async function upstream(name: string, status = 200): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ name, path: request.url, method: request.method, body, forwardedFor: request.headers['x-forwarded-for'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('routing proxy (real HTTP on loopback)', () => {
  let stable: Awaited<ReturnType<typeof upstream>>;
  let candidate: Awaited<ReturnType<typeof upstream>>;
  let proxy: RoutingProxy;
  const samples: RequestSample[] = [];

  beforeAll(async () => {
    stable = await upstream('stable');
    candidate = await upstream('candidate', 503);
    proxy = await startRoutingProxy({
      stableUrl: stable.url,
      candidateUrl: candidate.url,
      router: createWeightedRouter({ random: seededRandom(1) }),
      stickyCookie: 'session',
      adminToken: 'secret',
    });
    proxy.router.onSample((s) => samples.push(s));
  });
  afterAll(async () => {
    await proxy?.close();
    stable?.server.close();
    candidate?.server.close();
  });

  it('forwards method, path and body to the stable version at weight 0 and reports samples', async () => {
    samples.length = 0;
    const response = await fetch(`${proxy.url}/orders?id=3`, { method: 'POST', body: 'hello' });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-sluice-variant')).toBe('baseline');
    expect(body).toMatchObject({ name: 'stable', path: '/orders?id=3', method: 'POST', body: 'hello' });
    expect(body.forwardedFor).toMatch(/127\.0\.0\.1/);
    await expect.poll(() => samples.length).toBe(1);
    expect(samples[0]).toMatchObject({ variant: 'baseline', ok: true });
  });

  it('routes by the override header and counts a 503 as an error sample', async () => {
    samples.length = 0;
    const response = await fetch(proxy.url, { headers: { 'x-sluice-variant': 'canary' } });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { name: string }).name).toBe('candidate');
    await expect.poll(() => samples.length).toBe(1);
    expect(samples[0]).toMatchObject({ variant: 'canary', ok: false });
  });

  it('splits real requests within a binomial bound at 30%', async () => {
    proxy.router.setWeight({ weightPercent: 30, generation: 1 });
    const n = 400;
    let canary = 0;
    for (let i = 0; i < n; i++) {
      const response = await fetch(proxy.url);
      await response.arrayBuffer();
      if (response.headers.get('x-sluice-variant') === 'canary') canary++;
    }
    expect(Math.abs(canary - n * 0.3)).toBeLessThanOrEqual(binomialBound(n, 0.3));
  });

  it('keeps a session cookie on one variant', async () => {
    proxy.router.setWeight({ weightPercent: 50, generation: 2 });
    const first = (await fetch(proxy.url, { headers: { cookie: 'a=1; session=abc' } })).headers.get('x-sluice-variant');
    for (let i = 0; i < 20; i++) {
      expect((await fetch(proxy.url, { headers: { cookie: 'session=abc' } })).headers.get('x-sluice-variant')).toBe(first);
    }
  });

  it('answers 502 and an error sample when an upstream is down', async () => {
    const down = await startRoutingProxy({ stableUrl: 'http://127.0.0.1:1', candidateUrl: candidate.url });
    const seen: RequestSample[] = [];
    down.router.onSample((s) => seen.push(s));
    const response = await fetch(down.url);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toMatch(/baseline upstream/);
    expect(seen[0]).toMatchObject({ variant: 'baseline', ok: false });
    await down.close();
  });

  it('admin endpoint: GET reads, PUT needs the token and validates the body', async () => {
    expect(await (await fetch(proxy.adminUrl)).json()).toEqual(proxy.router.current());
    expect((await fetch(proxy.adminUrl, { method: 'PUT', body: '{"weightPercent":5,"generation":9}' })).status).toBe(401);
    const bad = await fetch(proxy.adminUrl, { method: 'PUT', headers: { authorization: 'Bearer secret' }, body: '{"weightPercent":500,"generation":9}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/weightPercent/);
    const ok = await fetch(proxy.adminUrl, { method: 'PUT', headers: { authorization: 'Bearer secret' }, body: '{"weightPercent":5,"generation":9}' });
    expect(await ok.json()).toEqual({ weightPercent: 5, generation: 9 });
  });

  it('inprocess adapter over adminUrl: apply verifies by reading back, is idempotent, reads what is in force', async () => {
    process.env.SLUICE_TEST_ADMIN_TOKEN = 'secret';
    const adapter = createInprocessAdapter({ adminUrl: proxy.adminUrl, adminTokenEnv: 'SLUICE_TEST_ADMIN_TOKEN' });
    expect(await adapter.apply({ weightPercent: 12.5, generation: 10 })).toEqual({ weightPercent: 12.5, generation: 10 });
    expect(proxy.router.current()).toEqual({ weightPercent: 12.5, generation: 10 });
    expect(await adapter.apply({ weightPercent: 12.5, generation: 10 })).toEqual({ weightPercent: 12.5, generation: 10 });
    proxy.router.setWeight({ weightPercent: 70, generation: 3 });
    expect(await adapter.read()).toEqual({ weightPercent: 70, generation: 3 });
    expect(await adapter.health()).toEqual({ ok: true });
    await adapter.close();
  });

  it('inprocess adapter reports SLUICE_E_ADAPTER_APPLY when the endpoint refuses, without retrying a 4xx', async () => {
    delete process.env.SLUICE_TEST_NO_TOKEN;
    const adapter = createInprocessAdapter({ adminUrl: proxy.adminUrl, adminTokenEnv: 'SLUICE_TEST_NO_TOKEN', retry: { attemptsMax: 3, delayMsInitial: 0 } });
    await expect(adapter.apply({ weightPercent: 1, generation: 11 })).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_APPLY', message: expect.stringMatching(/401/) });
    const unreachable = createInprocessAdapter({ adminUrl: 'http://127.0.0.1:1/_sluice/weight', retry: { attemptsMax: 2, delayMsInitial: 0 } });
    await expect(unreachable.read()).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_READ' });
    expect((await unreachable.health()).ok).toBe(false);
  });
});
