import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConfigurationOptions, KubeConfig, KubernetesListObject, KubernetesObject, ListWatch } from '@kubernetes/client-node';
import { describeFailure } from './kubeErrors.js';
import type { KubernetesKind, KubernetesOptions } from './kubernetesOptions.js';
import type { KubeObject, PlannedWrite } from './weightedRules.js';

/** Where the object lives: its API group, version and resource, namespace and name. */
export interface ObjectRef {
  kind: KubernetesKind;
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

export const RESOURCES: Record<KubernetesKind, Pick<ObjectRef, 'group' | 'version' | 'plural'>> = {
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  VirtualService: { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
};

/** The service account token a pod gets; its presence means "in a cluster" for the default kubeconfig chain. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The few API calls the adapter makes — get, patch, and list + watch through client-node's ListWatch — each bounded by
 * a timeout and the caller's signal, each failure turned into a message naming the verb, the object and what to do.
 * The Role in deploy/kubernetes/role.yaml grants exactly these verbs (a test compares them).
 */
export interface KubeApi {
  readonly ref: ObjectRef;
  /** `https://host:port` of the API server, for messages. */
  readonly server: string;
  get(signal?: AbortSignal): Promise<KubeObject>;
  patch(write: PlannedWrite, signal?: AbortSignal): Promise<KubeObject>;
  /** A ListWatch (client-node's informer) on this one object, not started. */
  informer(): ListWatch<KubernetesObject>;
}

/** The module @kubernetes/client-node, as `import()` gives it. */
export type ClientNode = typeof import('@kubernetes/client-node');

let clientNode: Promise<ClientNode> | undefined;

/**
 * Imports @kubernetes/client-node, once per process, at the first connect of a kubernetes adapter — not when this
 * package is imported. It is about 870 ES modules (~0.6 s, ~50 MB, on a 2-core machine): two thirds of everything a
 * daemon loads, for a daemon that may drive no Kubernetes rollout at all (docs/startup.md). A failed import is not
 * kept, so the next connect tries again.
 */
export function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node').catch((error: unknown) => {
    clientNode = undefined;
    throw error;
  });
  return clientNode;
}

/**
 * Loads the kubeconfig the options name (file, else the default chain) and the context; rejects with what to fix.
 * Asynchronous because it imports client-node (loadClientNode) — after the checks that need only the file system, so
 * a kubeconfig that does not exist is reported without loading it.
 */
export async function loadKubeConfig(options: Pick<KubernetesOptions, 'kubeconfig' | 'context'>): Promise<{ config: KubeConfig; source: string }> {
  let source: string;
  if (options.kubeconfig !== undefined) {
    source = options.kubeconfig;
    if (!existsSync(options.kubeconfig)) throw new Error(`kubeconfig file ${options.kubeconfig} (adapter.options.kubeconfig) does not exist`);
  } else {
    const fromEnv = process.env.KUBECONFIG?.split(':').find((f) => f !== '');
    const home = join(homedir(), '.kube', 'config');
    source = fromEnv !== undefined ? `$KUBECONFIG (${fromEnv})` : existsSync(home) ? home : 'the in-cluster service account';
    if (fromEnv === undefined && !existsSync(home) && !existsSync(SERVICE_ACCOUNT_TOKEN)) {
      throw new Error('no kubeconfig: set adapter.options.kubeconfig or $KUBECONFIG, create ~/.kube/config, or run the daemon in a pod with a service account');
    }
  }
  const { KubeConfig } = await loadClientNode();
  const config = new KubeConfig();
  if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context !== undefined) {
    const names = config.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) throw new Error(`kubeconfig ${source} has no context "${options.context}" (adapter.options.context); it has: ${names.join(', ') || 'none'}`);
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) throw new Error(`kubeconfig ${source}: the current context "${config.getCurrentContext()}" names no cluster`);
  return { config, source };
}

/** The namespace the options give, else the context's, else "default". */
export function namespaceOf(options: Pick<KubernetesOptions, 'namespace'>, config: KubeConfig): string {
  return options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
}

/** The API of one object, with the config loadKubeConfig returned (client-node is loaded by then). */
export async function createKubeApi(config: KubeConfig, ref: ObjectRef, requestTimeoutMs: number): Promise<KubeApi> {
  const { ApiException, CustomObjectsApi, ListWatch, setHeaderMiddleware, Watch } = await loadClientNode();
  const client = config.makeApiClient(CustomObjectsApi);
  const server = config.getCurrentCluster()?.server ?? '(no server)';
  const where = { group: ref.group, version: ref.version, namespace: ref.namespace, plural: ref.plural };

  async function call<T>(verb: 'get' | 'patch' | 'list', run: (options: ConfigurationOptions) => Promise<T>, signal: AbortSignal | undefined, contentType?: string): Promise<T> {
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    // client-node's middleware returns its own Observable type; setHeaderMiddleware (public) builds one, and this
    // wraps it to put the request's abort signal on the context as well.
    const header = setHeaderMiddleware(contentType ? 'Content-Type' : 'Accept', contentType ?? 'application/json');
    const options: ConfigurationOptions = {
      middleware: [{ pre: (request) => (request.setSignal(combined), header.pre(request)), post: (response) => header.post(response) }],
      middlewareMergeStrategy: 'append',
    };
    try {
      return await run(options);
    } catch (error) {
      throw describeFailure(error, { verb, ref, server, requestTimeoutMs, timedOut: timeout.aborted && !signal?.aborted, apiException: ApiException });
    }
  }

  return {
    ref,
    server,
    get: (signal) => call('get', (o) => client.getNamespacedCustomObject({ ...where, name: ref.name }, o) as Promise<KubeObject>, signal),
    patch: (write, signal) => call('patch', (o) => client.patchNamespacedCustomObject({ ...where, name: ref.name, body: write.body }, o) as Promise<KubeObject>, signal, write.contentType),
    informer: () => {
      const path = `/apis/${ref.group}/${ref.version}/namespaces/${ref.namespace}/${ref.plural}`;
      const fieldSelector = `metadata.name=${ref.name}`;
      const list = (): Promise<KubernetesListObject<KubernetesObject>> =>
        call('list', (o) => client.listNamespacedCustomObject({ ...where, fieldSelector }, o) as Promise<KubernetesListObject<KubernetesObject>>, undefined);
      return new ListWatch<KubernetesObject>(path, new Watch(config), list, false, undefined, fieldSelector);
    },
  };
}
