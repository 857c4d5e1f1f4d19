import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const GROUP = 'gateway.networking.k8s.io';

/**
 * The same scenario through the real kubectl (Debian's kubernetes-client, installed by scripts/ensure-kubectl.sh
 * when missing) and through client-node, against the test API server started as its bin
 * (`sluice-test-apiserver --listen 127.0.0.1:0 --kubeconfig-out FILE`, from the sources). Both clients must see the
 * same outcomes — created, patched, 422 on a failed JSON Patch test, 409 on a stale replace, 415 on a strategic merge
 * patch of a custom resource, a change seen by a watch — and leave the same object.
 */
interface Driver {
  name: string;
  create(object: Record<string, unknown>): Promise<void>;
  get(): Promise<Record<string, unknown>>;
  mergePatch(patch: unknown): Promise<void>;
  jsonPatch(operations: unknown[]): Promise<void>;
  strategicPatch(patch: unknown): Promise<void>;
  replace(object: Record<string, unknown>): Promise<void>;
  /** Resolves once a watch of the route has seen the canary weight `weight`, after `change` runs. */
  watchFor(weight: number, change: () => Promise<void>): Promise<void>;
}

/** What an operation came to, in both drivers' terms. */
async function outcome(run: () => Promise<void>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  }
}

let server: ChildProcess;
let kubectl: string;
let dir: string;
let kubeconfigPath: string;
let firstLine: string;

beforeAll(async () => {
  kubectl = await new Promise<string>((resolve, reject) =>
    execFile('sh', [join(repoRoot, 'scripts', 'ensure-kubectl.sh')], { timeout: 300_000 }, (error, stdout, stderr) => (error ? reject(new Error(`ensure-kubectl.sh: ${stderr || error.message}`)) : resolve(stdout.trim().split('\n').pop()!))),
  );
  dir = await mkdtemp(join(tmpdir(), 'sluice-kubectl-'));
  kubeconfigPath = join(dir, 'kubeconfig');
  server = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['--conditions=sluice-source', join(repoRoot, 'packages/test-apiserver/src/run.ts'), '--listen', '127.0.0.1:0', '--kubeconfig-out', kubeconfigPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sluice-test-apiserver printed nothing within 60 s')), 60_000);
    createInterface(server.stdout!).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    server.once('exit', (code) => reject(new Error(`sluice-test-apiserver exited with ${code}`)));
  });
}, 360_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  await rm(dir, { recursive: true, force: true });
});

function kubectlDriver(namespace: string): Driver {
  const run = (args: string[], input?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = execFile(kubectl, ['-n', namespace, ...args], { env: { ...process.env, KUBECONFIG: kubeconfigPath }, timeout: 30_000 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const text = `${stderr}`;
        // kubectl prints the server's Status; the code is in its words.
        const code = /Conflict|has been modified/.test(text) ? 409 : /test failed|is invalid|Invalid/.test(text) ? 422 : /unknown format|not supported by|UnsupportedMediaType/.test(text) ? 415 : /NotFound|not found/.test(text) ? 404 : 0;
        reject(new Error(`HTTP ${code}`));
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  return {
    name: 'kubectl',
    create: async (object) => void (await run(['apply', '-f', '-'], stringify(object))),
    get: async () => JSON.parse(await run(['get', 'httproute', 'checkout', '-o', 'json'])) as Record<string, unknown>,
    mergePatch: async (patch) => void (await run(['patch', 'httproute', 'checkout', '--type=merge', '-p', JSON.stringify(patch)])),
    jsonPatch: async (operations) => void (await run(['patch', 'httproute', 'checkout', '--type=json', '-p', JSON.stringify(operations)])),
    strategicPatch: async (patch) => void (await run(['patch', 'httproute', 'checkout', '-p', JSON.stringify(patch)])),
    replace: async (object) => void (await run(['replace', '-f', '-'], JSON.stringify(object))),
    watchFor: async (weight, change) => {
      const watcher = spawn(kubectl, ['-n', namespace, 'get', 'httproute', 'checkout', '-w', '-o', 'jsonpath={.spec.rules[0].backendRefs[1].weight}{"\\n"}'], { env: { ...process.env, KUBECONFIG: kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const lines = createInterface(watcher.stdout!);
        const seen = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`kubectl get -w did not show weight ${weight} within 20 s`)), 20_000);
          lines.on('line', (line) => {
            if (line.trim() === String(weight)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        // The first line is the current state: the watch is established once it is printed.
        await new Promise<void>((resolve) => lines.once('line', () => resolve()));
        await change();
        await seen;
      } finally {
        watcher.kill('SIGTERM');
      }
    },
  };
}

function clientNodeDriver(namespace: string): Driver {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const api = config.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: 'v1', namespace, plural: 'httproutes' };
  const wrap = async (run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
    } catch (error) {
      throw new Error(`HTTP ${error instanceof ApiException ? error.code : 0}`);
    }
  };
  return {
    name: 'client-node',
    create: (object) => wrap(() => api.createNamespacedCustomObject({ ...where, body: object })),
    get: async () => (await api.getNamespacedCustomObject({ ...where, name: 'checkout' })) as Record<string, unknown>,
    mergePatch: (patch) => wrap(() => api.patchNamespacedCustomObject({ ...where, name: 'checkout', body: patch }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))),
    jsonPatch: (operations) => wrap(() => api.patchNamespacedCustomObject({ ...where, name: 'checkout', body: operations }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))),
    strategicPatch: (patch) => wrap(() => api.patchNamespacedCustomObject({ ...where, name: 'checkout', body: patch }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))),
    replace: (object) => wrap(() => api.replaceNamespacedCustomObject({ ...where, name: 'checkout', body: object })),
    watchFor: async (weight, change) => {
      const list = (await api.listNamespacedCustomObject({ ...where })) as { metadata: { resourceVersion: string } };
      let stop: AbortController | undefined;
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`watch did not show weight ${weight} within 20 s`)), 20_000);
        void new Watch(config)
          .watch(`/apis/${GROUP}/v1/namespaces/${namespace}/httproutes`, { resourceVersion: list.metadata.resourceVersion }, (_type, object: { spec?: { rules?: { backendRefs?: { weight?: number }[] }[] } }) => {
            if (object.spec?.rules?.[0]?.backendRefs?.[1]?.weight === weight) {
              clearTimeout(timer);
              resolve();
            }
          }, () => undefined)
          .then((controller) => (stop = controller), reject);
      });
      try {
        await change();
        await seen;
      } finally {
        stop?.abort();
      }
    },
  };
}

const route = (namespace: string) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'checkout', namespace },
  spec: { parentRefs: [{ name: 'public' }], rules: [{ name: 'main', backendRefs: [{ name: 'stable', port: 80, weight: 100 }, { name: 'canary', port: 80, weight: 0 }] }] },
});

async function scenario(driver: Driver, namespace: string): Promise<{ outcomes: Record<string, string>; final: Record<string, unknown> }> {
  const outcomes: Record<string, string> = {};
  outcomes.create = await outcome(() => driver.create(route(namespace)));
  const created = await driver.get();
  outcomes.label = await outcome(() => driver.mergePatch({ metadata: { labels: { team: 'shop' } } }));
  outcomes.weights = await outcome(() =>
    driver.jsonPatch([
      { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'canary' },
      { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 90 },
      { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 10 },
    ]),
  );
  outcomes.failedTest = await outcome(() => driver.jsonPatch([{ op: 'test', path: '/metadata/resourceVersion', value: '1' }, { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 99 }]));
  outcomes.staleReplace = await outcome(() => driver.replace(created));
  outcomes.strategic = await outcome(() => driver.strategicPatch({ metadata: { labels: { team: 'other' } } }));
  outcomes.watch = await outcome(() => driver.watchFor(20, () => driver.jsonPatch([{ op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 20 }])));
  const final = await driver.get();
  return { outcomes, final };
}

describe('sluice-test-apiserver with the real kubectl and with client-node', () => {
  it('starts as a bin: first line "listening on http://HOST:PORT", and a kubeconfig for itself', async () => {
    expect(firstLine).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const config = JSON.parse(await readFile(kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    expect(firstLine).toBe(`listening on ${config.clusters[0]!.cluster.server}`);
  });

  it('gives the same outcomes and the same object through both clients', async () => {
    const viaKubectl = await scenario(kubectlDriver('via-kubectl'), 'via-kubectl');
    const viaClientNode = await scenario(clientNodeDriver('via-client-node'), 'via-client-node');
    const expected = { create: 'ok', label: 'ok', weights: 'ok', failedTest: 'HTTP 422', staleReplace: 'HTTP 409', strategic: 'HTTP 415', watch: 'ok' };
    expect(viaKubectl.outcomes).toEqual(expected);
    expect(viaClientNode.outcomes).toEqual(expected);
    const comparable = (o: Record<string, unknown>) => {
      const metadata = o.metadata as Record<string, unknown>;
      return { spec: o.spec, generation: metadata.generation, labels: metadata.labels };
    };
    expect(comparable(viaKubectl.final)).toEqual(comparable(viaClientNode.final));
    expect(comparable(viaKubectl.final)).toMatchObject({ generation: 3, labels: { team: 'shop' } });
  });

  it('applies an Ingress (strategic merge) and a VirtualService with kubectl, and refuses an invalid one with its causes', async () => {
    const run = (args: string[], input: string): Promise<{ code: number; out: string }> =>
      new Promise((resolve) => {
        const child = execFile(kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfigPath }, timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, out: `${stdout}${stderr}` }));
        child.stdin!.end(input);
      });
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-canary', namespace: 'apply', annotations: { 'nginx.ingress.kubernetes.io/canary': 'true' } },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    };
    expect(await run(['apply', '-f', '-'], stringify(ingress))).toMatchObject({ code: 0, out: expect.stringContaining('created') });
    ingress.metadata.annotations['nginx.ingress.kubernetes.io/canary-by-header'] = 'x-canary';
    expect(await run(['apply', '-f', '-'], stringify(ingress))).toMatchObject({ code: 0, out: expect.stringContaining('configured') });
    const virtualService = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'apply' }, spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' }, weight: 100.5 }] }] } };
    const refused = await run(['apply', '-f', '-'], stringify(virtualService));
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('spec.http[0].route[0].weight');
    virtualService.spec.http[0]!.route[0]!.weight = 100;
    expect(await run(['apply', '-f', '-'], stringify(virtualService))).toMatchObject({ code: 0, out: expect.stringContaining('created') });
  });
});
