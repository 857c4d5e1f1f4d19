import { describe, expect, it } from 'vitest';
import { ObjectOperations } from './objects.js';
import { HTTP_ROUTE, INGRESS, type KubeObject } from './resourceTypes.js';
import { ApiStatusError } from './status.js';
import { ObjectStore } from './store.js';

const write = { dryRun: false };

function fixture(historyMax = 100) {
  const store = new ObjectStore({ historyMax });
  const operations = new ObjectOperations(store, () => new Date('2026-01-02T03:04:05.678Z'));
  const route = operations.create(
    HTTP_ROUTE,
    'shop',
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'checkout' }, spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'stable', port: 80 }, { name: 'canary', port: 80, weight: 0 }] }] } },
    write,
  );
  return { store, operations, route };
}

function statusOf(run: () => unknown): ApiStatusError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiStatusError) return error;
    throw error;
  }
  throw new Error('expected an API error');
}

const rv = (o: KubeObject): string => String(o.metadata?.resourceVersion);

describe('object operations', () => {
  it('creates with server fields and the CRD defaults, and refuses a second create of the same name (409)', () => {
    const { operations, route } = fixture();
    expect(route.metadata).toMatchObject({ name: 'checkout', namespace: 'shop', generation: 1, creationTimestamp: '2026-01-02T03:04:05Z' });
    expect(route.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const rule = (route.spec as { rules: { matches: unknown; backendRefs: unknown[] }[] }).rules[0]!;
    expect(rule.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(rule.backendRefs[0]).toEqual({ name: 'stable', port: 80, group: '', kind: 'Service', weight: 1 });
    expect((route.spec as { parentRefs: unknown[] }).parentRefs[0]).toEqual({ name: 'public', group: 'gateway.networking.k8s.io', kind: 'Gateway' });
    const again = statusOf(() => operations.create(HTTP_ROUTE, 'shop', { metadata: { name: 'checkout' }, spec: {} }, write));
    expect(again.status).toMatchObject({ kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'httproutes.gateway.networking.k8s.io "checkout" already exists' });
  });

  it('bumps generation on spec changes only, resourceVersion on every change, and writes nothing for a no-op', () => {
    const { operations, route } = fixture();
    const labelled = operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', '{"metadata":{"labels":{"a":"b"}}}', undefined, write);
    expect(labelled.metadata?.generation).toBe(1);
    expect(Number(rv(labelled))).toBeGreaterThan(Number(rv(route)));
    const same = operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', '{"metadata":{"labels":{"a":"b"}}}', undefined, write);
    expect(rv(same)).toBe(rv(labelled));
    const weighted = operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/json-patch+json', '[{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":5}]', undefined, write);
    expect(weighted.metadata?.generation).toBe(2);
    const status = operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', '{"status":{"parents":[]},"spec":{"hostnames":["ignored.example"]}}', 'status', write);
    expect(status.metadata?.generation).toBe(2);
    expect(status.status).toEqual({ parents: [] });
    expect((status.spec as { hostnames?: unknown }).hostnames).toBeUndefined();
    const mainIgnoresStatus = operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', '{"status":{"parents":null}}', undefined, write);
    expect(mainIgnoresStatus.status).toEqual({ parents: [] });
  });

  it('PUT of a custom resource needs metadata.resourceVersion (422) and a current one (409)', () => {
    const { operations, route } = fixture();
    const { resourceVersion: _rv, ...metadata } = route.metadata!;
    const missing = statusOf(() => operations.replace(HTTP_ROUTE, 'shop', 'checkout', { ...route, metadata }, undefined, write));
    expect(missing.status).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }] } });
    const current = operations.replace(HTTP_ROUTE, 'shop', 'checkout', { ...route, spec: { ...(route.spec as object), hostnames: ['shop.example.com'] } }, undefined, write);
    expect(current.metadata?.generation).toBe(2);
    const stale = statusOf(() => operations.replace(HTTP_ROUTE, 'shop', 'checkout', route, undefined, write));
    expect(stale.status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(stale.message).toContain('the object has been modified; please apply your changes to the latest version and try again');
  });

  it('JSON Patch: a failed test is 422 and changes nothing; merge patch: a stale resourceVersion is 409; strategic merge: 415 for a CRD', () => {
    const { operations, route } = fixture();
    const failed = statusOf(() =>
      operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/json-patch+json', JSON.stringify([{ op: 'test', path: '/metadata/resourceVersion', value: '1' }, { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 9 }]), undefined, write),
    );
    expect(failed.status).toMatchObject({ code: 422, message: 'testing value /metadata/resourceVersion failed: test failed' });
    expect(rv(operations.get(HTTP_ROUTE, 'shop', 'checkout'))).toBe(rv(route));
    const stale = statusOf(() => operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', JSON.stringify({ metadata: { resourceVersion: '1' }, spec: { hostnames: ['x.example'] } }), undefined, write));
    expect(stale.code).toBe(409);
    const strategic = statusOf(() => operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/strategic-merge-patch+json', '{"metadata":{"labels":{"a":"b"}}}', undefined, write));
    expect(strategic.status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const notAList = statusOf(() => operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/json-patch+json', '{"op":"add"}', undefined, write));
    expect(notAList.code).toBe(400);
  });

  it('validates with every cause at once (422), after defaults', () => {
    const { operations } = fixture();
    const invalid = statusOf(() =>
      operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/json-patch+json', JSON.stringify([{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: -1 }, { op: 'add', path: '/spec/rules/0/name', value: 'Not A Name' }]), undefined, write),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status.details?.causes?.map((c) => c.field).sort()).toEqual(['spec.rules[0].backendRefs[1].weight', 'spec.rules[0].name']);
    expect(invalid.message).toMatch(/^HTTPRoute.gateway.networking.k8s.io "checkout" is invalid: \[/);
  });

  it('accepts a strategic merge patch on the built-in Ingress (without list directives) and a PUT without resourceVersion', () => {
    const { operations } = fixture();
    const ingress = operations.create(INGRESS, 'shop', { metadata: { name: 'web', annotations: { a: '1' } }, spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } }, write);
    const patched = operations.patch(INGRESS, 'shop', 'web', 'application/strategic-merge-patch+json', JSON.stringify({ metadata: { annotations: { b: '2' } }, '$setElementOrder/rules': [] }), undefined, write);
    expect(patched.metadata?.annotations).toEqual({ a: '1', b: '2' });
    const { resourceVersion: _rv, ...metadata } = ingress.metadata!;
    expect(operations.replace(INGRESS, 'shop', 'web', { ...ingress, metadata: { ...metadata, annotations: { c: '3' } } }, undefined, write).metadata?.annotations).toEqual({ c: '3' });
    expect(statusOf(() => operations.patch(INGRESS, 'shop', 'web', 'application/strategic-merge-patch+json', '{"$patch":"replace"}', undefined, write)).code).toBe(400);
  });

  it('keeps a bounded history: a watch from before it is too old', () => {
    const { store, operations, route } = fixture(3);
    for (let i = 0; i < 5; i++) operations.patch(HTTP_ROUTE, 'shop', 'checkout', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { i: String(i) } } }), undefined, write);
    expect(store.eventsAfter(Number(rv(route)))).toBeUndefined();
    const recent = store.eventsAfter(store.resourceVersion - 2);
    expect(recent?.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED']);
    expect(store.eventsAfter(store.resourceVersion)).toEqual([]);
  });
});
