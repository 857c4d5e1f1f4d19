import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WeightState } from '@sluice/core';
import { HTTP_ROUTE, INGRESS, startTestApiServer, VIRTUAL_SERVICE, type KubeObject, type TestApiServer } from '@sluice/test-apiserver';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesAdapter } from './kubernetesAdapter.js';

/**
 * The adapter against the strict test API server (in this process, on loopback): real HTTP, real client-node, the
 * server's own resourceVersions, patch semantics, validation and gateway controller.
 */
let server: TestApiServer;
let dir: string;
let kubeconfig: string;
let namespaceCounter = 0;

beforeAll(async () => {
  server = await startTestApiServer();
  dir = await mkdtemp(join(tmpdir(), 'sluice-k8s-adapter-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, server.kubeconfig());
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const adapters: { close(): Promise<void> }[] = [];
afterEach(async () => {
  server.setFaults({ responseDelayMs: 0, conflicts: 0, serverErrors: 0, controller: { mode: 'accept', delayMs: 0 } });
  server.setRules(undefined);
  await Promise.all(adapters.splice(0).map((a) => a.close()));
});

/** A fresh namespace per test, so objects and request records never mix. */
function freshNamespace(): string {
  return `test-${++namespaceCounter}`;
}

function adapterFor(options: Record<string, unknown>) {
  const adapter = createKubernetesAdapter({ kubeconfig, verifyTimeoutMs: 2_000, verifyIntervalMs: 20, retry: { attemptsMax: 4, delayMsInitial: 5, delayMsMax: 20 }, ...options }, { rolloutId: 'r1' });
  adapters.push(adapter);
  return adapter;
}

function route(namespace: string, rules: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return server.operations.create(HTTP_ROUTE, namespace, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'checkout', ...extra }, spec: { parentRefs: [{ name: 'public' }], rules } }, { dryRun: false });
}

const ownedRule = { name: 'main', backendRefs: [{ name: 'stable', port: 80, weight: 100 }, { name: 'canary', port: 80, weight: 0 }] };

function weightsOf(object: KubeObject, rule = 0): number[] {
  return ((object.spec as { rules: { backendRefs: { weight: number }[] }[] }).rules[rule]!.backendRefs ?? []).map((b) => b.weight);
}

function patchesIn(namespace: string): number {
  return server.requests().filter((r) => r.namespace === namespace && r.verb === 'patch').length;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('kubernetes adapter, HTTPRoute', () => {
  it('writes basis points for 0, 0.01 and 100, verified by the parents, and reads them back', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    const cases: [number, number[]][] = [
      [0.01, [9_999, 1]],
      [100, [0, 10_000]],
      [0, [10_000, 0]],
      [12.34, [8_766, 1_234]],
    ];
    let generation = 0;
    for (const [weightPercent, weights] of cases) {
      const want: WeightState = { weightPercent, generation: ++generation };
      expect(await adapter.apply(want)).toEqual(want);
      const stored = server.operations.get(HTTP_ROUTE, namespace, 'checkout');
      expect(weightsOf(stored)).toEqual(weights);
      expect(stored.metadata?.annotations).toEqual({ 'sluice.dev/generation': String(generation) });
      expect(await adapter.read()).toEqual(want);
    }
    // Every write was a JSON Patch, and the status subresource was written only by the gateway controller.
    const writes = server.requests().filter((r) => r.namespace === namespace && ['patch', 'update', 'create'].includes(r.verb));
    expect(writes.map((w) => w.contentType)).toEqual(['application/json-patch+json', 'application/json-patch+json', 'application/json-patch+json', 'application/json-patch+json']);
  });

  it('writes nothing when the object already holds the weight and generation', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    await adapter.apply({ weightPercent: 5, generation: 1 });
    const resourceVersion = server.operations.get(HTTP_ROUTE, namespace, 'checkout').metadata?.resourceVersion;
    await adapter.apply({ weightPercent: 5, generation: 1 });
    await adapter.apply({ weightPercent: 5, generation: 1 });
    expect(patchesIn(namespace)).toBe(1);
    expect(server.operations.get(HTTP_ROUTE, namespace, 'checkout').metadata?.resourceVersion).toBe(resourceVersion);
  });

  it('leaves the user\'s other rules, header routes and filters byte for byte, and touches only the owned weights', async () => {
    const namespace = freshNamespace();
    const headerRule = { matches: [{ headers: [{ name: 'x-canary', value: 'always' }] }], backendRefs: [{ name: 'canary', port: 80, weight: 1 }] };
    const owned = {
      name: 'main',
      matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
      filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-env', value: 'prod' }] } }],
      timeouts: { request: '10s' },
      backendRefs: [
        { name: 'stable', port: 8080, weight: 100, filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-v', value: '1' }] } }] },
        { name: 'canary', port: 8080, weight: 0 },
      ],
    };
    const other = { name: 'static', matches: [{ path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'assets', port: 80 }] };
    route(namespace, [headerRule, owned, other], { labels: { team: 'shop' }, annotations: { 'example.com/owner': 'payments' } });
    const before = server.operations.get(HTTP_ROUTE, namespace, 'checkout');
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    await adapter.apply({ weightPercent: 25, generation: 7 });
    const after = server.operations.get(HTTP_ROUTE, namespace, 'checkout');
    // Put back the three values Sluice owns; everything else must be exactly as before, in the same order.
    const restored = structuredClone(after) as { spec: { rules: { backendRefs: { weight: number }[] }[] }; metadata: Record<string, unknown>; status?: unknown };
    expect(weightsOf(after, 1)).toEqual([7_500, 2_500]);
    restored.spec.rules[1]!.backendRefs[0]!.weight = 100;
    restored.spec.rules[1]!.backendRefs[1]!.weight = 0;
    expect((restored.metadata.annotations as Record<string, string>)['sluice.dev/generation']).toBe('7');
    delete (restored.metadata.annotations as Record<string, string>)['sluice.dev/generation'];
    const strip = (o: unknown): string => {
      const { metadata, status: _status, ...rest } = o as { metadata: Record<string, unknown>; status?: unknown };
      const { resourceVersion: _rv, generation: _generation, ...meta } = metadata;
      return JSON.stringify({ ...rest, metadata: meta });
    };
    expect(strip(restored)).toBe(strip(before));
  });

  it('re-reads and retries when the route changes between its read and its write (409 / failed test)', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    let interfered = false;
    const off = server.onRequest(async (request) => {
      if (interfered || request.namespace !== namespace || request.verb !== 'patch') return;
      interfered = true;
      // Another writer (a person with kubectl) labels the route after Sluice read it and before its patch lands.
      server.operations.patch(HTTP_ROUTE, namespace, 'checkout', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { edited: 'by-hand' } } }), undefined, { dryRun: false });
    });
    try {
      await adapter.apply({ weightPercent: 30, generation: 2 });
    } finally {
      off();
    }
    const stored = server.operations.get(HTTP_ROUTE, namespace, 'checkout');
    expect(weightsOf(stored)).toEqual([7_000, 3_000]);
    expect(stored.metadata?.labels).toEqual({ edited: 'by-hand' });
    const patches = server.requests().filter((r) => r.namespace === namespace && r.verb === 'patch');
    expect(patches.map((p) => p.code)).toEqual([422, 200]);
  });

  it('gives up after its bounded retries in a 409 storm, naming the object', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    server.setFaults({ conflicts: 1_000 });
    await expect(adapter.apply({ weightPercent: 10, generation: 1 })).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_APPLY', message: expect.stringMatching(new RegExp(`HTTPRoute ${namespace}/checkout.*409 Conflict`)) });
    expect(patchesIn(namespace)).toBe(4); // retry.attemptsMax
  });

  it('retries a 500 and a slow answer within its bounds', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary', requestTimeoutMs: 200 });
    server.setFaults({ serverErrors: 1 });
    await adapter.apply({ weightPercent: 10, generation: 1 });
    server.setFaults({ responseDelayMs: 1_000 });
    await expect(adapter.read()).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_READ', message: expect.stringContaining('did not answer within 200 ms') });
  });

  it('fails when no parent accepts the route, naming the parent and its reason, and returns to the last known good weights', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary', verifyTimeoutMs: 300 });
    await adapter.apply({ weightPercent: 5, generation: 1 });
    server.setFaults({ controller: { mode: 'reject', reason: 'NotAllowedByListeners', message: 'listener https does not allow this namespace' } });
    await expect(adapter.apply({ weightPercent: 50, generation: 2 })).rejects.toMatchObject({
      code: 'SLUICE_E_ADAPTER_APPLY',
      message: expect.stringMatching(/Gateway public .*Accepted=False, reason NotAllowedByListeners: listener https does not allow this namespace.*restored the last known good 5%/),
    });
    expect(weightsOf(server.operations.get(HTTP_ROUTE, namespace, 'checkout'))).toEqual([9_500, 500]);
  });

  it('fails when the route is never accepted, and keeps a lower weight it could not verify', async () => {
    const namespace = freshNamespace();
    server.setFaults({ controller: { mode: 'never' } });
    route(namespace, [{ ...ownedRule, backendRefs: [{ name: 'stable', port: 80, weight: 50 }, { name: 'canary', port: 80, weight: 50 }] }]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary', verifyTimeoutMs: 200 });
    await expect(adapter.apply({ weightPercent: 0, generation: 3 })).rejects.toMatchObject({ message: expect.stringMatching(/parent Gateway public has not reported any status yet.*left as written/) });
    expect(weightsOf(server.operations.get(HTTP_ROUTE, namespace, 'checkout'))).toEqual([10_000, 0]);
  });

  it('says which verb on which resource a 403 needs, as a Role rule', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    server.setRules([{ apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'list', 'watch'] }]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    await expect(adapter.apply({ weightPercent: 10, generation: 1 })).rejects.toMatchObject({
      message: expect.stringContaining(`patch HTTPRoute ${namespace}/checkout: 403 Forbidden: httproutes.gateway.networking.k8s.io "checkout" is forbidden: User "system:serviceaccount:default:sluice" cannot patch resource "httproutes" in API group "gateway.networking.k8s.io" in the namespace "${namespace}". Grant it in the Role bound to the daemon's service account: { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["patch"] }`),
    });
  });

  it('names a missing object, a missing rule, and a refused connection', async () => {
    const namespace = freshNamespace();
    const missing = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    await expect(missing.read()).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_READ', message: expect.stringContaining(`get HTTPRoute ${namespace}/checkout: not found; create the HTTPRoute first`) });
    route(namespace, [ownedRule]);
    const noRule = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary', rule: 'other' });
    await expect(noRule.apply({ weightPercent: 1, generation: 1 })).rejects.toMatchObject({ message: expect.stringContaining('has no rule named "other" (named ones: "main")') });
    const closedPort = join(dir, 'closed-kubeconfig');
    const closed = await startTestApiServer();
    await closed.close();
    await writeFile(closedPort, server.kubeconfig().replace(server.url, closed.url));
    const refused = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary', kubeconfig: closedPort, retry: { attemptsMax: 1 } });
    await expect(refused.apply({ weightPercent: 1, generation: 1 })).rejects.toMatchObject({ message: expect.stringContaining(`connection refused by ${closed.url}; is the API server running`) });
  });

  it('reports a change made by someone else through its watch, before any read', async () => {
    const namespace = freshNamespace();
    route(namespace, [ownedRule]);
    const adapter = adapterFor({ kind: 'HTTPRoute', namespace, name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' });
    await adapter.apply({ weightPercent: 10, generation: 1 });
    const seen: WeightState[] = [];
    adapter.watch((state) => seen.push(state));
    await eventually(() => seen.some((s) => s.weightPercent === 10), 'the watch reports the state in force');
    server.operations.patch(HTTP_ROUTE, namespace, 'checkout', 'application/json-patch+json', JSON.stringify([{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 5_000 }]), undefined, { dryRun: false });
    await eventually(() => seen.some((s) => s.weightPercent === 35.71), 'the watch reports the hand edit');
    expect(seen.at(-1)).toEqual({ weightPercent: 35.71, generation: 1 });
  });
});

describe('kubernetes adapter, VirtualService', () => {
  function virtualService(namespace: string): KubeObject {
    return server.operations.create(
      VIRTUAL_SERVICE,
      namespace,
      {
        metadata: { name: 'checkout' },
        spec: {
          hosts: ['checkout'],
          http: [
            { name: 'testers', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host: 'checkout-canary' } }] },
            { name: 'primary', retries: { attempts: 3 }, route: [{ destination: { host: 'checkout-stable', port: { number: 80 } }, weight: 100 }, { destination: { host: 'checkout-canary', port: { number: 80 } }, weight: 0 }] },
          ],
        },
      },
      { dryRun: false },
    );
  }

  it('writes whole percents into the named http route, verified by reading it back, leaving the header route alone', async () => {
    const namespace = freshNamespace();
    const before = virtualService(namespace);
    const adapter = adapterFor({ kind: 'VirtualService', namespace, name: 'checkout', stableBackend: 'checkout-stable', canaryBackend: 'checkout-canary', rule: 'primary' });
    await adapter.apply({ weightPercent: 20, generation: 4 });
    const after = server.operations.get(VIRTUAL_SERVICE, namespace, 'checkout');
    const http = (after.spec as { http: { route: { weight?: number }[] }[] }).http;
    expect(http[1]!.route.map((r) => r.weight)).toEqual([80, 20]);
    expect(JSON.stringify(http[0])).toBe(JSON.stringify((before.spec as { http: unknown[] }).http[0]));
    expect(await adapter.read()).toEqual({ weightPercent: 20, generation: 4 });
    await expect(adapter.apply({ weightPercent: 2.5, generation: 5 })).rejects.toMatchObject({ message: expect.stringContaining('whole percents; 2.5% cannot be written (use 2 or 3)') });
    expect(http[1]!.route.map((r) => r.weight)).toEqual([80, 20]);
  });

  it('asks for the rule name when two http routes name both hosts', async () => {
    const namespace = freshNamespace();
    server.operations.create(
      VIRTUAL_SERVICE,
      namespace,
      {
        metadata: { name: 'checkout' },
        spec: { hosts: ['checkout'], http: [{ name: 'a', route: [{ destination: { host: 's' }, weight: 100 }, { destination: { host: 'c' }, weight: 0 }] }, { name: 'b', route: [{ destination: { host: 's' }, weight: 100 }, { destination: { host: 'c' }, weight: 0 }] }] },
      },
      { dryRun: false },
    );
    const adapter = adapterFor({ kind: 'VirtualService', namespace, name: 'checkout', stableBackend: 's', canaryBackend: 'c' });
    await expect(adapter.apply({ weightPercent: 1, generation: 1 })).rejects.toMatchObject({ message: expect.stringContaining('2 http routes route to both backends ("a", "b"); name the one Sluice owns with adapter.options.rule') });
  });
});

describe('kubernetes adapter, ingress-nginx canary Ingress', () => {
  function canaryIngress(namespace: string, annotations: Record<string, string>): KubeObject {
    return server.operations.create(
      INGRESS,
      namespace,
      {
        metadata: { name: 'checkout-canary', annotations },
        spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'checkout-canary', port: { number: 80 } } } }] } }] },
      },
      { dryRun: false },
    );
  }

  it('writes canary-weight out of 10000 with a merge patch, and keeps the header and cookie annotations', async () => {
    const namespace = freshNamespace();
    const keep = { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-by-header': 'x-canary', 'nginx.ingress.kubernetes.io/canary-by-header-value': 'always', 'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary' };
    canaryIngress(namespace, keep);
    const adapter = adapterFor({ kind: 'Ingress', namespace, name: 'checkout-canary' });
    await adapter.apply({ weightPercent: 0.01, generation: 1 });
    await adapter.apply({ weightPercent: 12.34, generation: 2 });
    const annotations = server.operations.get(INGRESS, namespace, 'checkout-canary').metadata?.annotations;
    expect(annotations).toEqual({ ...keep, 'nginx.ingress.kubernetes.io/canary-weight': '1234', 'nginx.ingress.kubernetes.io/canary-weight-total': '10000', 'sluice.dev/generation': '2' });
    expect(await adapter.read()).toEqual({ weightPercent: 12.34, generation: 2 });
    const writes = server.requests().filter((r) => r.namespace === namespace && r.verb === 'patch');
    expect(writes.map((w) => w.contentType)).toEqual(['application/merge-patch+json', 'application/merge-patch+json']);
    await adapter.apply({ weightPercent: 12.34, generation: 2 });
    expect(patchesIn(namespace)).toBe(2);
  });

  it('retries after a 409 from its resourceVersion precondition', async () => {
    const namespace = freshNamespace();
    canaryIngress(namespace, { 'nginx.ingress.kubernetes.io/canary': 'true' });
    const adapter = adapterFor({ kind: 'Ingress', namespace, name: 'checkout-canary' });
    let interfered = false;
    const off = server.onRequest(async (request) => {
      if (interfered || request.namespace !== namespace || request.verb !== 'patch') return;
      interfered = true;
      server.operations.patch(INGRESS, namespace, 'checkout-canary', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { edited: 'yes' } } }), undefined, { dryRun: false });
    });
    try {
      await adapter.apply({ weightPercent: 100, generation: 9 });
    } finally {
      off();
    }
    expect(server.requests().filter((r) => r.namespace === namespace && r.verb === 'patch').map((p) => p.code)).toEqual([409, 200]);
    expect(server.operations.get(INGRESS, namespace, 'checkout-canary').metadata?.annotations?.['nginx.ingress.kubernetes.io/canary-weight']).toBe('10000');
  });

  it('refuses an Ingress that is not a canary', async () => {
    const namespace = freshNamespace();
    canaryIngress(namespace, {});
    const adapter = adapterFor({ kind: 'Ingress', namespace, name: 'checkout-canary' });
    await expect(adapter.apply({ weightPercent: 1, generation: 1 })).rejects.toMatchObject({ message: expect.stringContaining('is not an ingress-nginx canary: its annotation nginx.ingress.kubernetes.io/canary is absent') });
    expect(patchesIn(namespace)).toBe(0);
  });
});
