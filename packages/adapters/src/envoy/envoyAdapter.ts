import { roundWeightPercent, SpecValidationError, type AdapterHealth, type TrafficAdapter, type WeightState } from '@sluice/core';
import type { AdapterContext } from '../createAdapter.js';
import { AdapterError, applyError, parseAdapterOptions, readError } from '../errors.js';
import { envoyOptionsSchema, type EnvoyAdapterOptions, type EnvoyOptions } from './envoyOptions.js';
import { CDS_TYPE_URL, RDS_TYPE_URL } from './protoRoot.js';
import { readResourcesFile, type ResourceSet } from './resourcesFile.js';
import { countRolloutRoutes } from './routeConfiguration.js';
import { AckWaitError, type AckExpectation, type RouteOwnerSpec, type XdsControlPlane } from './xdsControlPlane.js';

/** What the envoy adapter needs from the daemon beyond the common context. */
export interface EnvoyAdapterContext extends AdapterContext {
  /** The daemon's xDS server (`sluice daemon --xds-listen`); without it the adapter refuses to be created. */
  xds?: XdsControlPlane;
  /** Weight and generation in force according to the log (served until the first apply). */
  inForce?: WeightState;
}

/** Validates the options and the resources file they name; returns what the control plane needs. */
export function envoyRouteSpec(input: EnvoyAdapterOptions | Record<string, unknown>, rolloutId: string): { options: EnvoyOptions; spec: RouteOwnerSpec } {
  const options = parseAdapterOptions('envoy', envoyOptionsSchema, input);
  const resources = options.resourcesFile === undefined ? undefined : readResourcesFile(options.resourcesFile);
  if (resources) checkResourcesFor(options, resources);
  const expectation: AckExpectation = options.nodes ? { nodes: options.nodes } : { clientsMin: options.clientsMin ?? 1 };
  return {
    options,
    spec: { rolloutId, name: options.routeConfiguration, stableCluster: options.stableCluster, canaryCluster: options.canaryCluster, domains: options.domains, resources, expectation },
  };
}

/** The clusters must be in the file (so clients can get them from Sluice), and a route template must route to them. */
function checkResourcesFor(options: EnvoyOptions, resources: ResourceSet): void {
  const problems: { path: string; message: string }[] = [];
  const clusters = resources.resources.get(CDS_TYPE_URL);
  for (const key of ['stableCluster', 'canaryCluster'] as const) {
    if (!clusters?.has(options[key])) problems.push({ path: `adapter.options.${key}`, message: `Cluster "${options[key]}" is not defined in ${resources.file}; add it there (the xDS server serves clusters from that file)` });
  }
  const template = resources.resources.get(RDS_TYPE_URL)?.get(options.routeConfiguration);
  if (template) {
    const target = { name: options.routeConfiguration, stableCluster: options.stableCluster, canaryCluster: options.canaryCluster, domains: options.domains, template: template.object };
    if (countRolloutRoutes(target) === 0) {
      problems.push({ path: 'adapter.options.routeConfiguration', message: `the RouteConfiguration "${options.routeConfiguration}" in ${resources.file} has no route to "${options.stableCluster}" or "${options.canaryCluster}"; Sluice only rewrites routes to those clusters` });
    }
  }
  if (problems.length > 0) throw new SpecValidationError(problems, 'envoy adapter options', 'SLUICE_E_ADAPTER_OPTIONS');
}

/**
 * The `envoy` adapter: the rollout's RouteConfiguration on the daemon's ADS server. `apply` serves the new weight and
 * resolves once every expected client ACKed it; before the canary's share grows it first makes sure the expected
 * clients hold the canary cluster (make-before-break). A NACK fails the apply with the client's own message and the
 * last good version is served again; a timeout names the clients that did not ACK.
 */
export function createEnvoyAdapter(input: EnvoyAdapterOptions | Record<string, unknown>, context: EnvoyAdapterContext): TrafficAdapter {
  const { options, spec } = envoyRouteSpec(input, context.rolloutId);
  const plane = context.xds;
  if (!plane) {
    throw new AdapterError('SLUICE_E_ADAPTER_OPTIONS', 'envoy', `rollout "${context.rolloutId}" uses the envoy adapter, but this daemon has no xDS server; start it with --xds-listen HOST:PORT`);
  }
  if (!plane.isAttached(context.rolloutId)) {
    try {
      plane.attach(spec, context.inForce ?? { weightPercent: 0, generation: 0 });
    } catch (error) {
      throw new AdapterError('SLUICE_E_ADAPTER_OPTIONS', 'envoy', `rollout "${context.rolloutId}": ${(error as Error).message}`, { cause: error });
    }
  }
  const rolloutId = context.rolloutId;
  let queue: Promise<unknown> = Promise.resolve();

  /** Applies are serialised: two in flight would race for the same route. */
  function serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }

  async function applyNow(want: WeightState, signal?: AbortSignal): Promise<WeightState> {
    const started = performance.now();
    if (!plane!.isAttached(rolloutId)) {
      // A later rollout took the route over (this one ended, e.g. aborted with its last weight still being applied):
      // the route no longer sends this rollout's canary anything, which is what 0% asks for; more cannot be served.
      if (want.weightPercent === 0) return want;
      throw applyError('envoy', `RouteConfiguration "${options.routeConfiguration}" is served for a later rollout now; rollout "${rolloutId}" cannot change its weight`);
    }
    const lastGood = plane!.lastGoodState(rolloutId);
    // The operator's resources are read at every apply, so an edit of the file takes effect with the next weight.
    if (options.resourcesFile !== undefined) {
      let resources: ResourceSet;
      try {
        resources = readResourcesFile(options.resourcesFile);
        checkResourcesFor(options, resources);
        plane!.setResources(rolloutId, resources);
      } catch (error) {
        throw applyError('envoy', `resources file ${options.resourcesFile} not served: ${(error as Error).message}; still serving the last good resources`, { cause: error });
      }
    }
    // Make-before-break: the canary cluster is served and ACKed before any more weight goes to it. A share that only
    // shrinks (a rollback) goes out at once.
    if (want.weightPercent > 0 && want.weightPercent > lastGood.weightPercent) {
      try {
        await plane!.waitFor(() => plane!.checkResources(rolloutId), options.verifyTimeoutMs, `canary cluster "${options.canaryCluster}" not ACKed by every expected client, so no weight was sent to it`, signal);
      } catch (error) {
        plane!.revertResources(rolloutId);
        throw applyError('envoy', `${want.weightPercent}% generation ${want.generation} not applied: ${(error as Error).message}`, { cause: error, detail: (error as Error).message });
      }
    }
    const identity = plane!.publishRoute(rolloutId, want);
    try {
      await plane!.waitFor(() => plane!.checkRoute(rolloutId, identity), options.verifyTimeoutMs, `RouteConfiguration "${options.routeConfiguration}" generation ${want.generation} (${want.weightPercent}%) not ACKed`, signal);
    } catch (error) {
      const message = (error as Error).message;
      const nacked = error instanceof AckWaitError && error.reason === 'nack';
      // A rejected version goes back to the last good one; so does an unverified increase of the canary's share. An
      // unverified decrease stays served: less traffic to the candidate is never worse than the last good version.
      if (nacked || want.weightPercent > lastGood.weightPercent) plane!.revertRoute(rolloutId);
      if (nacked) plane!.revertResources(rolloutId);
      throw applyError('envoy', `${message}${nacked || want.weightPercent > lastGood.weightPercent ? `; serving the last good version again (generation ${lastGood.generation}, ${lastGood.weightPercent}%)` : ''}`, { cause: error, detail: message });
    }
    plane!.commitRoute(rolloutId);
    plane!.commitResources(rolloutId);
    context.logger?.info({ rolloutId, weightPercent: want.weightPercent, generation: want.generation, routeConfiguration: options.routeConfiguration, verifyMs: Math.round(performance.now() - started) }, 'envoy weight ACKed by every expected xDS client');
    return want;
  }

  return {
    type: 'envoy',
    apply(desired: WeightState, signal?: AbortSignal): Promise<WeightState> {
      const want = { weightPercent: roundWeightPercent(desired.weightPercent), generation: desired.generation };
      return serialised(() => applyNow(want, signal));
    },
    async read(): Promise<WeightState> {
      try {
        return plane.readRoute(rolloutId);
      } catch (error) {
        throw readError('envoy', `cannot read RouteConfiguration "${options.routeConfiguration}" back from the xDS clients: ${(error as Error).message}`, { cause: error });
      }
    },
    async health(): Promise<AdapterHealth> {
      const check = plane.checkRoute(rolloutId, plane.publishedRouteIdentity(rolloutId));
      if (check.kind === 'done') return { ok: true };
      return { ok: false, detail: check.kind === 'failed' ? check.message : `RouteConfiguration "${options.routeConfiguration}" waiting for: ${check.waitingFor.join('; ')}` };
    },
    async close(): Promise<void> {
      // The route stays served: clients must keep their configuration after the rollout ends.
      await queue;
    },
  };
}
