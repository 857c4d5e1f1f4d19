import { describe, expect, it } from 'vitest';
import { validateAdapterOptions } from '../createAdapter.js';
import { createKubernetesAdapter } from './kubernetesAdapter.js';
import { acceptanceOf } from './httpRouteAcceptance.js';
import { planIngressWrite, readIngressState } from './ingressCanary.js';
import { wholePercentIssues } from './stageWeights.js';
import { HTTP_ROUTE_LAYOUT, planRuleWrite, readRuleState, type KubeObject } from './weightedRules.js';

const base = { kind: 'HTTPRoute', namespace: 'shop', name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' };
const parsed = { ...base, kind: 'HTTPRoute' as const, requestTimeoutMs: 5_000, verifyTimeoutMs: 10_000, verifyIntervalMs: 200, retry: { attemptsMax: 3, delayMsInitial: 100, delayMsMax: 2_000, multiplier: 2, jitterRatio: 0.5 } };

describe('kubernetes adapter options', () => {
  it('names every bad option at once, at its spec path', () => {
    expect(() => createKubernetesAdapter({ kind: 'Gateway', name: 'Not_A_Name', namespace: 'x'.repeat(70), bogus: 1 }, { rolloutId: 'r' })).toThrow(
      expect.objectContaining({
        code: 'SLUICE_E_ADAPTER_OPTIONS',
        message: expect.stringMatching(/adapter\.options(\.kind|\.name|\.namespace)?: [\s\S]*adapter\.options(\.kind|\.name|\.namespace)?: [\s\S]*unknown option\(s\) "bogus"/),
      }),
    );
    expect(() => createKubernetesAdapter({ kind: 'HTTPRoute', name: 'checkout' }, { rolloutId: 'r' })).toThrow(/stableBackend: is required for kind HTTPRoute[\s\S]*canaryBackend: is required for kind HTTPRoute/);
    expect(() => createKubernetesAdapter({ kind: 'Ingress', name: 'checkout-canary', stableBackend: 'a' }, { rolloutId: 'r' })).toThrow(/stableBackend: not used with kind Ingress/);
    expect(() => createKubernetesAdapter({ ...base, canaryBackend: 'stable' }, { rolloutId: 'r' })).toThrow(/stableBackend and canaryBackend must differ/);
  });

  it('constructs without I/O: a kubeconfig path that does not exist is only reported at the first call', async () => {
    const adapter = createKubernetesAdapter({ ...base, kubeconfig: '/nonexistent/kubeconfig' }, { rolloutId: 'r' });
    await expect(adapter.read()).rejects.toMatchObject({ code: 'SLUICE_E_ADAPTER_READ', message: expect.stringContaining('kubeconfig file /nonexistent/kubeconfig (adapter.options.kubeconfig) does not exist') });
    await adapter.close();
  });

  it('refuses a VirtualService rollout whose stages or rollback steps are not whole percents, when it is created', () => {
    const plan = { stages: [{ name: 'canary', weightPercent: 2.5 }, { name: 'ramp', weightPercent: 10 }, { name: 'most', weightPercent: 99.99 }], rollback: { mode: 'gradual', stepsPercent: [5, 0.5] } };
    expect(wholePercentIssues('VirtualService', plan).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'stages[0].weightPercent: stage "canary" asks for 2.5%, but an Istio VirtualService takes whole percents only; use 2 or 3',
      'stages[2].weightPercent: stage "most" asks for 99.99%, but an Istio VirtualService takes whole percents only; use 99 or 100',
      'rollback.stepsPercent[1]: rollback step 0.5% is not a whole percent, which an Istio VirtualService needs; use 0 or 1',
    ]);
    expect(wholePercentIssues('HTTPRoute', plan)).toEqual([]);
    const ref = { type: 'kubernetes' as const, options: { ...base, kind: 'VirtualService' } };
    expect(() => validateAdapterOptions(ref, 'r1', plan)).toThrow(expect.objectContaining({ code: 'SLUICE_E_ADAPTER_OPTIONS', message: expect.stringContaining('stage "canary" asks for 2.5%') }));
    expect(() => validateAdapterOptions(ref, 'r1', { stages: [{ name: 'canary', weightPercent: 3 }] })).not.toThrow();
  });
});

describe('kubernetes targets', () => {
  const route = (weights: (number | undefined)[], annotations?: Record<string, string>): KubeObject => ({
    metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '42', ...(annotations ? { annotations } : {}) },
    spec: { rules: [{ backendRefs: [{ name: 'other', weight: 0 }, { name: 'stable', ...(weights[0] === undefined ? {} : { weight: weights[0] }) }, { name: 'canary', ...(weights[1] === undefined ? {} : { weight: weights[1] }) }] }] },
  });

  it('plans a JSON Patch that tests the resourceVersion and both names before it replaces the two weights and the annotation', () => {
    expect(planRuleWrite(HTTP_ROUTE_LAYOUT, route([100, 0]), parsed, { weightPercent: 0.01, generation: 3 })).toEqual({
      contentType: 'application/json-patch+json',
      body: [
        { op: 'test', path: '/metadata/resourceVersion', value: '42' },
        { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'stable' },
        { op: 'test', path: '/spec/rules/0/backendRefs/2/name', value: 'canary' },
        { op: 'add', path: '/spec/rules/0/backendRefs/1/weight', value: 9_999 },
        { op: 'add', path: '/spec/rules/0/backendRefs/2/weight', value: 1 },
        { op: 'add', path: '/metadata/annotations', value: { 'sluice.dev/generation': '3' } },
      ],
    });
    expect(planRuleWrite(HTTP_ROUTE_LAYOUT, route([9_999, 1], { 'sluice.dev/generation': '3' }), parsed, { weightPercent: 0.01, generation: 3 })).toBeUndefined();
    const annotated = planRuleWrite(HTTP_ROUTE_LAYOUT, route([9_999, 1], { a: 'b' }), parsed, { weightPercent: 0.01, generation: 4 });
    expect((annotated!.body as { path: string }[]).at(-1)).toEqual({ op: 'add', path: '/metadata/annotations/sluice.dev~1generation', value: '4' });
  });

  it('reads absent HTTPRoute weights as the CRD default 1, and refuses a split where both weights are 0', () => {
    expect(readRuleState(HTTP_ROUTE_LAYOUT, route([undefined, undefined]), parsed)).toEqual({ weightPercent: 50, generation: 0 });
    expect(readRuleState(HTTP_ROUTE_LAYOUT, route([2, 1], { 'sluice.dev/generation': '12' }), parsed)).toEqual({ weightPercent: 33.33, generation: 12 });
    expect(() => readRuleState(HTTP_ROUTE_LAYOUT, route([0, 0]), parsed)).toThrow(/both backends have weight 0/);
  });

  it('reads and writes the ingress-nginx canary weight out of its total, leaving other annotations alone', () => {
    const ingress = (annotations: Record<string, string>): KubeObject => ({ metadata: { name: 'c', namespace: 'shop', resourceVersion: '7', annotations } });
    const options = { ...parsed, kind: 'Ingress' as const };
    expect(readIngressState(ingress({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '30' }), options)).toEqual({ weightPercent: 30, generation: 0 });
    expect(readIngressState(ingress({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '1', 'nginx.ingress.kubernetes.io/canary-weight-total': '10000' }), options).weightPercent).toBe(0.01);
    expect(planIngressWrite(ingress({ 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-by-header': 'x' }), options, { weightPercent: 100, generation: 2 })).toEqual({
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: '7', annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '10000', 'nginx.ingress.kubernetes.io/canary-weight-total': '10000', 'sluice.dev/generation': '2' } } },
    });
  });

  it('accepts a route only when every parent reports Accepted=True at its generation', () => {
    const withStatus = (parents: unknown[], generation = 2): KubeObject => ({ metadata: { generation }, spec: { parentRefs: [{ name: 'public' }] }, status: { parents } });
    const parent = (status: string, observedGeneration: number, reason = 'Accepted') => ({ parentRef: { name: 'public' }, controllerName: 'c', conditions: [{ type: 'Accepted', status, observedGeneration, reason, message: 'm' }] });
    expect(acceptanceOf(withStatus([parent('True', 2)]))).toEqual({ accepted: true });
    expect(acceptanceOf(withStatus([parent('True', 1)]))).toEqual({ accepted: false, reason: 'parent Gateway public (c) has observed generation 1, not yet 2' });
    expect(acceptanceOf(withStatus([parent('False', 2, 'NoMatchingParent')]))).toEqual({ accepted: false, reason: 'parent Gateway public (c) reports Accepted=False, reason NoMatchingParent: m' });
    expect(acceptanceOf(withStatus([]))).toEqual({ accepted: false, reason: 'parent Gateway public has not reported any status yet (is its gateway controller running?)' });
    expect(acceptanceOf({ metadata: { generation: 1 }, spec: {} }).accepted).toBe(false);
  });
});
