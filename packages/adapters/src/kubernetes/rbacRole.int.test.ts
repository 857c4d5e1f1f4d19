import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP_ROUTE, INGRESS, startTestApiServer, VIRTUAL_SERVICE, type PolicyRule, type TestApiServer } from '@sluice/test-apiserver';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesAdapter } from './kubernetesAdapter.js';
import type { KubernetesAdapterOptions } from './kubernetesOptions.js';

const ROLE_PATH = fileURLToPath(new URL('../../../../deploy/kubernetes/role.yaml', import.meta.url));

/**
 * deploy/kubernetes/role.yaml grants exactly the calls the adapter makes: the adapter runs every kind (apply, a
 * re-apply that writes nothing, read, health, watch) against a server that enforces the Role, nothing is refused,
 * and the verbs it used per resource are the Role's, no more and no fewer.
 */
describe('deploy/kubernetes/role.yaml', () => {
  let server: TestApiServer;
  let dir: string;
  let rules: PolicyRule[];

  beforeAll(async () => {
    const role = parse(await readFile(ROLE_PATH, 'utf8')) as { kind: string; rules: PolicyRule[] };
    expect(role.kind).toBe('Role');
    rules = role.rules;
    server = await startTestApiServer({ rules });
    dir = await mkdtemp(join(tmpdir(), 'sluice-k8s-role-'));
    await writeFile(join(dir, 'kubeconfig'), server.kubeconfig('default'));
    const backends = (names: [string, string]) => names.map((name, i) => ({ name, port: 80, weight: i === 0 ? 100 : 0 }));
    server.operations.create(HTTP_ROUTE, 'default', { metadata: { name: 'checkout' }, spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: backends(['stable', 'canary']) }] } }, { dryRun: false });
    server.operations.create(
      VIRTUAL_SERVICE,
      'default',
      { metadata: { name: 'checkout' }, spec: { hosts: ['checkout'], http: [{ route: [{ destination: { host: 'stable' }, weight: 100 }, { destination: { host: 'canary' }, weight: 0 }] }] } },
      { dryRun: false },
    );
    server.operations.create(
      INGRESS,
      'default',
      { metadata: { name: 'checkout-canary', annotations: { 'nginx.ingress.kubernetes.io/canary': 'true' } }, spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'canary', port: { number: 80 } } } }] } }] } },
      { dryRun: false },
    );
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('allows every call the adapter makes, and grants no verb it does not use', async () => {
    const targets: KubernetesAdapterOptions[] = [
      { kind: 'HTTPRoute', name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' },
      { kind: 'VirtualService', name: 'checkout', stableBackend: 'stable', canaryBackend: 'canary' },
      { kind: 'Ingress', name: 'checkout-canary' },
    ];
    for (const target of targets) {
      const adapter = createKubernetesAdapter({ ...target, kubeconfig: join(dir, 'kubeconfig') }, { rolloutId: 'role-check' });
      try {
        const seen: number[] = [];
        adapter.watch((state) => seen.push(state.weightPercent));
        await adapter.apply({ weightPercent: 10, generation: 1 });
        await adapter.apply({ weightPercent: 10, generation: 1 });
        expect(await adapter.read()).toEqual({ weightPercent: 10, generation: 1 });
        expect(await adapter.health()).toEqual({ ok: true });
        const deadline = Date.now() + 5_000;
        while (!seen.includes(10) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(seen).toContain(10);
      } finally {
        await adapter.close();
      }
    }
    const requests = server.requests();
    expect(requests.filter((r) => r.code === 403)).toEqual([]);
    const used = new Set(requests.map((r) => `${r.group}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}:${r.verb}`));
    const granted = new Set(rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))));
    expect([...used].sort()).toEqual([...granted].sort());
  });
});
