import { readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrafficAdapter } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binomialBound } from '../testing/seededRandom.js';
import { ensureNginx, startNamedUpstream, type NamedUpstream } from '../testing/upstreams.js';
import { createAccessLogTail } from './accessLogTail.js';
import { fetchMarker, testConfig } from './nginxControl.js';
import { createNginxAdapter } from './nginxAdapter.js';
import { startPrivateNginx, type PrivateNginx } from './privateNginx.js';
import { renderInclude } from './renderInclude.js';

/** Sends `n` requests through nginx, `concurrency` at a time, and counts which upstream answered. */
async function countVariants(url: string, n: number, headers: Record<string, string> = {}, concurrency = 16): Promise<{ stable: number; candidate: number }> {
  const counts = { stable: 0, candidate: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const response = await fetch(url, { headers });
        const name = await response.text();
        if (name === 'stable') counts.stable++;
        else if (name === 'candidate') counts.candidate++;
        else throw new Error(`unexpected answer ${response.status} ${name}`);
      }
    }),
  );
  return counts;
}

describe('nginx adapter on a private nginx', () => {
  let stable: NamedUpstream;
  let candidate: NamedUpstream;
  let nginx: PrivateNginx;
  let adapter: TrafficAdapter;
  const logs: { msg?: string; o: object }[] = [];
  const logger = { info: (o: object, msg?: string) => void logs.push({ o, msg }), warn: (o: object, msg?: string) => void logs.push({ o, msg }) };

  beforeAll(async () => {
    const binary = await ensureNginx();
    stable = await startNamedUpstream('stable');
    candidate = await startNamedUpstream('candidate');
    nginx = await startPrivateNginx({ binary, baselineAddresses: [stable.address], candidateAddresses: [candidate.address], workerProcesses: 2 });
    adapter = createNginxAdapter(nginx.adapterOptions, { rolloutId: 'e2e', logger });
  }, 300_000);

  afterAll(async () => {
    await adapter?.close();
    await nginx?.stop();
    await stable?.close();
    await candidate?.close();
  });

  it('reads back the initial state from the marker and reports health', async () => {
    expect(await adapter.read()).toEqual({ weightPercent: 0, generation: 0 });
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('weight 0 sends everything to stable, 100 everything to the candidate', async () => {
    expect(await adapter.apply({ weightPercent: 0, generation: 1 })).toEqual({ weightPercent: 0, generation: 1 });
    expect(await countVariants(nginx.url, 200)).toEqual({ stable: 200, candidate: 0 });
    expect(await adapter.apply({ weightPercent: 100, generation: 2 })).toEqual({ weightPercent: 100, generation: 2 });
    expect(await adapter.read()).toEqual({ weightPercent: 100, generation: 2 });
    expect(await countVariants(nginx.url, 200)).toEqual({ stable: 0, candidate: 200 });
  });

  it.each([
    [1, 3],
    [50, 4],
  ])('weight %s%% splits traffic within a binomial bound', async (weightPercent, generation) => {
    const workersBefore = await nginx.workerPids();
    expect(await adapter.apply({ weightPercent, generation })).toEqual({ weightPercent, generation });
    const workersAfter = await nginx.workerPids();
    expect([...workersAfter].some((pid) => !workersBefore.has(pid))).toBe(true);
    const n = 2_000;
    const { candidate: hits } = await countVariants(nginx.url, n);
    expect(Math.abs(hits - (n * weightPercent) / 100)).toBeLessThanOrEqual(binomialBound(n, weightPercent / 100));
  });

  it('applying the state in force does nothing (no reload)', async () => {
    const workers = await nginx.workerPids();
    expect(await adapter.apply({ weightPercent: 50, generation: 4 })).toEqual({ weightPercent: 50, generation: 4 });
    expect(await nginx.workerPids()).toEqual(workers);
    expect(workers.has((await fetchMarker(nginx.markerListen, 2_000)).pid)).toBe(true);
  });

  it('the override header and cookie reach either version at any weight', async () => {
    await adapter.apply({ weightPercent: 0, generation: 5 });
    expect(await countVariants(nginx.url, 20, { 'x-sluice-variant': 'always' })).toEqual({ stable: 0, candidate: 20 });
    expect(await countVariants(nginx.url, 20, { cookie: 'sluice_variant=always' })).toEqual({ stable: 0, candidate: 20 });
    await adapter.apply({ weightPercent: 100, generation: 6 });
    expect(await countVariants(nginx.url, 20, { 'x-sluice-variant': 'never' })).toEqual({ stable: 20, candidate: 0 });
    expect(await countVariants(nginx.url, 20, { 'x-sluice-variant': 'never', cookie: 'sluice_variant=always' })).toEqual({ stable: 20, candidate: 0 });
  });

  it('a config nginx -t rejects restores the last known good file and reports nginx\'s message', async () => {
    const good = await readFile(nginx.includePath, 'utf8');
    const broken = createNginxAdapter({ ...nginx.adapterOptions, globalDirectives: `${nginx.globalDirectives} no_such_directive on;` }, { rolloutId: 'e2e-broken' });
    const failure = await broken.apply({ weightPercent: 30, generation: 7 }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'SLUICE_E_ADAPTER_APPLY', message: expect.stringMatching(/nginx -t rejected.*no_such_directive/s) });
    expect(await readFile(nginx.includePath, 'utf8')).toBe(good);
    expect(await adapter.read()).toEqual({ weightPercent: 100, generation: 6 });
  });

  it('a reload nginx refuses after nginx -t passed (marker port taken) restores the last known good file', async () => {
    const good = await readFile(nginx.includePath, 'utf8');
    const before = await adapter.read();
    const squatter = createServer((_, res) => res.end('not nginx'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const doomed = createNginxAdapter({ ...nginx.adapterOptions, markerListen: `127.0.0.1:${port}`, verifyTimeoutMs: 1_000, retry: { attemptsMax: 1 } }, { rolloutId: 'e2e-doomed' });
      const failure = await doomed.apply({ weightPercent: 70, generation: 50 }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'SLUICE_E_ADAPTER_APPLY', message: expect.stringMatching(/was not verified as serving.*restored the last known good/s) });
      expect(await readFile(nginx.includePath, 'utf8')).toBe(good);
      expect(await adapter.read()).toEqual(before);
    } finally {
      squatter.close();
    }
  });

  it('reads back what nginx actually serves after a manual change, and re-applies over it', async () => {
    const drifted = renderInclude({ ...nginx.adapterOptions, hashKey: { kind: 'request' }, overrideHeader: null, overrideCookie: null, variablePrefix: 'sluice' }, { weightPercent: 30, generation: 99 }, 'someone-by-hand');
    await writeFile(nginx.includePath, drifted);
    process.kill(await nginx.masterPid(), 'SIGHUP');
    await expect.poll(() => adapter.read(), { timeout: 10_000, interval: 25 }).toEqual({ weightPercent: 30, generation: 99 });
    expect(await adapter.apply({ weightPercent: 10, generation: 8 })).toEqual({ weightPercent: 10, generation: 8 });
    expect(await adapter.read()).toEqual({ weightPercent: 10, generation: 8 });
  });

  it('reads back a hand edit of the split alone once nginx has loaded it, not before', async () => {
    const applied = await readFile(nginx.includePath, 'utf8');
    expect(applied).toContain('    10% canary;');
    await writeFile(nginx.includePath, applied.replace('    10% canary;', '    40% canary;'));
    expect(await adapter.read()).toEqual({ weightPercent: 10, generation: 8 }); // written, not reloaded: not served
    process.kill(await nginx.masterPid(), 'SIGHUP');
    await expect.poll(() => adapter.read(), { timeout: 10_000, interval: 25 }).toEqual({ weightPercent: 40, generation: 8 });
    const { candidate: hits } = await countVariants(nginx.url, 1_000);
    expect(Math.abs(hits - 400)).toBeLessThanOrEqual(binomialBound(1_000, 0.4));
    expect(await adapter.apply({ weightPercent: 10, generation: 9 })).toEqual({ weightPercent: 10, generation: 9 });
    expect(await adapter.read()).toEqual({ weightPercent: 10, generation: 9 });
  });

  it('the access-log source turns nginx\'s own log into samples, across rotation by rename and truncation', async () => {
    const tail = createAccessLogTail({ path: nginx.accessLogPath, baselineAddresses: [stable.address], candidateAddresses: [candidate.address] });
    await tail.poll();
    await adapter.apply({ weightPercent: 50, generation: 10 });
    candidate.setFailing(true);
    const sent = await countVariants(nginx.url, 100); // the candidate now answers 500 (with its name)
    expect(sent.stable + sent.candidate).toBe(100);
    const samples = await collect(tail, 100);
    const canary = samples.filter((s) => s.variant === 'canary');
    const baseline = samples.filter((s) => s.variant === 'baseline');
    expect(canary.length).toBe(sent.candidate);
    expect(baseline.length).toBe(sent.stable);
    expect(canary.every((s) => !s.ok)).toBe(true);
    expect(baseline.every((s) => s.ok)).toBe(true);
    expect(samples.every((s) => s.latencyMs >= 0 && Math.abs(s.at - Date.now()) < 60_000)).toBe(true);
    candidate.setFailing(false);

    await rename(nginx.accessLogPath, `${nginx.accessLogPath}.1`);
    await countVariants(nginx.url, 10); // still written to the renamed file until nginx reopens
    await nginx.reopenLogs();
    await expect.poll(() => readFile(nginx.accessLogPath, 'utf8').then(() => true, () => false), { timeout: 5_000 }).toBe(true);
    await countVariants(nginx.url, 15);
    expect(await collect(tail, 25)).toHaveLength(25);
    expect(tail.stats.rotations).toBe(1);

    await writeFile(nginx.accessLogPath, '');
    await countVariants(nginx.url, 5);
    expect(await collect(tail, 5)).toHaveLength(5);
    expect(tail.stats.truncations).toBe(1);
    expect(tail.stats.malformed).toBe(0);
    await tail.stop();
  });

  it('every hashing key and override combination passes nginx -t', async () => {
    const good = await readFile(nginx.includePath, 'utf8');
    const variants = [
      { hashKey: { kind: 'client' as const }, overrideHeader: null, overrideCookie: null },
      { hashKey: { kind: 'cookie' as const, name: 'session', fallback: 'client' as const }, overrideHeader: 'x-sluice-variant', overrideCookie: null },
      { hashKey: { kind: 'header' as const, name: 'x-user-id', fallback: 'request' as const }, overrideHeader: null, overrideCookie: 'sluice_variant' },
    ];
    try {
      for (const variant of variants) {
        for (const weightPercent of [0, 0.01, 33.33, 100]) {
          await writeFile(nginx.includePath, renderInclude({ ...nginx.adapterOptions, ...variant, variablePrefix: 'sluice' }, { weightPercent, generation: 1 }, 'check'));
          const result = await testConfig({ ...nginx.adapterOptions, binary: nginx.binary, testTimeoutMs: 15_000 });
          expect(result, `${JSON.stringify(variant)} at ${weightPercent}%`).toMatchObject({ ok: true });
        }
      }
    } finally {
      await writeFile(nginx.includePath, good);
    }
  });

  it('sticky by cookie: one session stays on one version, with the fallback key when absent', async () => {
    const sticky = createNginxAdapter({ ...nginx.adapterOptions, hashKey: { kind: 'cookie', name: 'session', fallback: 'request' } }, { rolloutId: 'e2e-sticky' });
    expect(await sticky.apply({ weightPercent: 50, generation: 20 })).toEqual({ weightPercent: 50, generation: 20 });
    const sessions = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const seen = new Map<string, string>();
    for (const session of sessions) {
      const counts = await countVariants(nginx.url, 10, { cookie: `session=${session}` }, 2);
      expect(counts.stable === 10 || counts.candidate === 10).toBe(true);
      seen.set(session, counts.stable === 10 ? 'stable' : 'candidate');
    }
    expect(new Set(seen.values()).size).toBe(2);
    const anonymous = await countVariants(nginx.url, 400);
    expect(Math.abs(anonymous.candidate - 200)).toBeLessThanOrEqual(binomialBound(400, 0.5));
    await sticky.close();
  });
});

/** Polls the tail until `n` samples arrived; nginx writes a log line after the response, so allow a few polls. */
async function collect(tail: ReturnType<typeof createAccessLogTail>, n: number): Promise<Awaited<ReturnType<typeof tail.poll>>> {
  const out: Awaited<ReturnType<typeof tail.poll>> = [];
  await expect.poll(async () => (out.push(...(await tail.poll())), out.length), { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(n);
  return out;
}
