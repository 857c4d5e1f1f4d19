import { createWriteStream, type WriteStream } from 'node:fs';
import { CustomObjectsApi, KubeConfig, ListWatch, PatchStrategy, setHeaderOptions, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { startRoutingProxy, type ProxiedRequest, type RoutingProxy } from '@sluice/adapters/inprocess';

/**
 * A small Gateway API implementation for one HTTPRoute: it watches the route with client-node (a ListWatch), routes
 * every request to the stable or the canary service by the weights of the route's `backendRefs` (the in-process
 * routing proxy), writes an access log line per request (nginx's sluice_json format, so the daemon's access-log source
 * reads it), and — once the proxy routes by a generation of the route — reports `Accepted` for its parent in the
 * route's status, as a real gateway controller does when its data plane has the route.
 */
export interface GatewayOptions {
  kubeconfigPath: string;
  namespace: string;
  route: string;
  /** The parent the gateway implements (the route's parentRefs[].name). */
  gatewayName: string;
  backends: { stable: { name: string; url: string }; canary: { name: string; url: string } };
  accessLogPath: string;
  log: (line: string) => void;
}

export interface Gateway {
  proxy: RoutingProxy;
  /** Weights the gateway routes by now, and the route generation they came from. */
  current(): { weightPercent: number; routeGeneration: number };
  close(): Promise<void>;
}

export const CONTROLLER_NAME = 'example.sluice.dev/gateway';
const GROUP = 'gateway.networking.k8s.io';

interface RouteObject extends KubernetesObject {
  spec?: { parentRefs?: { name?: string }[]; rules?: { backendRefs?: { name?: string; weight?: number }[] }[] };
  status?: { parents?: unknown[] };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfigPath);
  const api = config.makeApiClient(CustomObjectsApi);
  const accessLog: WriteStream = createWriteStream(options.accessLogPath, { flags: 'a' });
  const proxy = await startRoutingProxy({
    stableUrl: options.backends.stable.url,
    candidateUrl: options.backends.canary.url,
    onRequestDone: (request) => accessLog.write(accessLogLine(request)),
  });
  let routeGeneration = 0;
  let statusWrites = Promise.resolve();

  const apply = (route: RouteObject): void => {
    const weights = backendWeights(route, options.backends.stable.name, options.backends.canary.name);
    const generation = Number(route.metadata?.generation ?? 0);
    if (!weights) return options.log(`gateway: route ${options.route} has no rule with both backends; routing unchanged`);
    const total = weights.stable + weights.canary;
    const weightPercent = total === 0 ? 0 : Math.round((weights.canary * 10_000) / total) / 100;
    const annotation = Number(route.metadata?.annotations?.['sluice.dev/generation'] ?? 0);
    if (generation !== routeGeneration || proxy.router.current().weightPercent !== weightPercent) {
      proxy.router.setWeight({ weightPercent, generation: Number.isSafeInteger(annotation) ? annotation : 0 });
      options.log(`gateway: routing ${weightPercent}% to ${options.backends.canary.name} (route generation ${generation})`);
    }
    routeGeneration = generation;
    if (!isAcceptedAt(route, generation, options.gatewayName)) statusWrites = statusWrites.then(() => reportAccepted(generation)).catch(() => undefined);
  };

  /** Writes Accepted=True for its parent at `generation` through the /status subresource (merge patch). */
  async function reportAccepted(generation: number): Promise<void> {
    const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', reason, message, observedGeneration: generation, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    const body = {
      status: {
        parents: [
          {
            parentRef: { group: GROUP, kind: 'Gateway', name: options.gatewayName },
            controllerName: CONTROLLER_NAME,
            conditions: [condition('Accepted', 'Accepted', 'routing by this generation'), condition('ResolvedRefs', 'ResolvedRefs', 'both backends resolved')],
          },
        ],
      },
    };
    try {
      await api.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: 'v1', namespace: options.namespace, plural: 'httproutes', name: options.route, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (error) {
      options.log(`gateway: status write failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  const path = `/apis/${GROUP}/v1/namespaces/${options.namespace}/httproutes`;
  const fieldSelector = `metadata.name=${options.route}`;
  const list = (): Promise<KubernetesListObject<RouteObject>> => api.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: options.namespace, plural: 'httproutes', fieldSelector }) as Promise<KubernetesListObject<RouteObject>>;
  const watch = new ListWatch<RouteObject>(path, new Watch(config), list, false, undefined, fieldSelector);
  let closed = false;
  watch.on('add', apply);
  watch.on('update', apply);
  watch.on('error', (error: unknown) => {
    if (closed) return;
    options.log(`gateway: watch failed (${(error as Error)?.message ?? String(error)}); restarting in 200 ms`);
    setTimeout(() => void (!closed && watch.start().catch(() => undefined)), 200);
  });
  await watch.start();
  return {
    proxy,
    current: () => ({ weightPercent: proxy.router.current().weightPercent, routeGeneration }),
    async close() {
      closed = true;
      await watch.stop();
      await statusWrites;
      await proxy.close();
      await new Promise<void>((resolve) => accessLog.end(() => resolve()));
    },
  };
}

function backendWeights(route: RouteObject, stable: string, canary: string): { stable: number; canary: number } | undefined {
  for (const rule of route.spec?.rules ?? []) {
    const refs = rule.backendRefs ?? [];
    const s = refs.find((r) => r.name === stable);
    const c = refs.find((r) => r.name === canary);
    if (s && c) return { stable: s.weight ?? 1, canary: c.weight ?? 1 };
  }
  return undefined;
}

function isAcceptedAt(route: RouteObject, generation: number, gatewayName: string): boolean {
  const parents = (route.status?.parents ?? []) as { parentRef?: { name?: string }; controllerName?: string; conditions?: { type?: string; status?: string; observedGeneration?: number }[] }[];
  const mine = parents.find((p) => p.controllerName === CONTROLLER_NAME && p.parentRef?.name === gatewayName);
  const accepted = mine?.conditions?.find((c) => c.type === 'Accepted');
  return accepted?.status === 'True' && accepted.observedGeneration === generation;
}

/** One line of nginx's sluice_json log_format, so `sources.accessLog` (and the example's own tail) read it. */
function accessLogLine(request: ProxiedRequest): string {
  const status = request.status === 0 ? 502 : request.status;
  const seconds = (request.latencyMs / 1000).toFixed(3);
  return `${JSON.stringify({ msec: (request.at / 1000).toFixed(3), status: String(status), request_time: seconds, upstream_addr: request.upstream, upstream_status: String(status), upstream_response_time: seconds, variant: request.variant })}\n`;
}
