import { roundWeightPercent, type AdapterHealth, type TrafficAdapter, type WeightState } from '@sluice/core';
import type { KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type { AdapterContext } from '../createAdapter.js';
import { applyError, parseAdapterOptions, readError } from '../errors.js';
import { LastKnownGood } from '../lastKnownGood.js';
import { backoffDelayMs, retryWithBackoff, type RetryPolicy } from '../retry.js';
import { acceptanceOf } from './httpRouteAcceptance.js';
import { planIngressWrite, readIngressState } from './ingressCanary.js';
import { createKubeApi, loadKubeConfig, namespaceOf, RESOURCES, type KubeApi } from './kubeApi.js';
import { KubeRequestError } from './kubeErrors.js';
import { kubernetesOptionsSchema, type KubernetesAdapterOptions, type KubernetesOptions } from './kubernetesOptions.js';
import { HTTP_ROUTE_LAYOUT, planRuleWrite, readRuleState, TargetError, VIRTUAL_SERVICE_LAYOUT, type KubeObject, type PlannedWrite } from './weightedRules.js';

/** Restarts of a failed watch: soon at first, then at most every 30 s, for as long as the adapter is open. */
const WATCH_RESTART_POLICY: RetryPolicy = { attemptsMax: Number.MAX_SAFE_INTEGER, delayMsInitial: 200, delayMsMax: 30_000, multiplier: 2, jitterRatio: 0.5 };

type Listener = (state: WeightState) => void;

interface Connection {
  api: KubeApi;
  /** The options with the namespace resolved. */
  target: KubernetesOptions & { namespace: string };
}

/**
 * The `kubernetes` adapter: owns two weights (and the `sluice.dev/generation` annotation) in one HTTPRoute,
 * VirtualService or ingress-nginx canary Ingress. Every write is conditional on what was read — a JSON Patch that tests
 * metadata.resourceVersion and the backend names, or (Ingress) a merge patch carrying metadata.resourceVersion — and
 * touches nothing else; a conflict re-reads and retries, bounded. Applying what the object already holds writes
 * nothing. An HTTPRoute is verified when every parent reports Accepted at the new generation; a VirtualService or an
 * Ingress by reading the written object back. A watch on the object (client-node's ListWatch) reports changes made by
 * others as they happen.
 */
export function createKubernetesAdapter(input: KubernetesAdapterOptions | Record<string, unknown>, context: AdapterContext): TrafficAdapter & { watch(listener: Listener): () => void } {
  const options = parseAdapterOptions('kubernetes', kubernetesOptionsSchema, input);
  const lastKnownGood = new LastKnownGood<null>();
  const listeners = new Set<Listener>();
  const changeWaiters = new Set<() => void>();
  let connection: Connection | undefined;
  let informer: ListWatch<KubernetesObject> | undefined;
  let informerRestarts = 0;
  let informerTimer: NodeJS.Timeout | undefined;
  let lastSeen: string | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  let connecting: Promise<Connection> | undefined;

  /**
   * Loads the kubeconfig, and client-node with it, at first use: constructing the adapter (validating a spec) does no
   * I/O and loads nothing (docs/startup.md). A failure is not kept: the next call tries again (the kubeconfig may have
   * been fixed since).
   */
  function connect(wrap: (message: string, cause: unknown) => Error): Promise<Connection> {
    if (connection) return Promise.resolve(connection);
    connecting ??= open().finally(() => {
      connecting = undefined;
    });
    return connecting.catch((error: unknown) => {
      throw wrap((error as Error).message, error);
    });
  }

  async function open(): Promise<Connection> {
    const { config } = await loadKubeConfig(options);
    const namespace = namespaceOf(options, config);
    const resource = RESOURCES[options.kind];
    const api = await createKubeApi(config, { kind: options.kind, ...resource, namespace, name: options.name }, options.requestTimeoutMs);
    connection = { api, target: { ...options, namespace } };
    return connection;
  }

  const where = (): string => `${options.kind} ${connection?.target.namespace ?? options.namespace ?? '(default namespace)'}/${options.name}`;

  function stateOf(object: KubeObject, target: Connection['target']): WeightState {
    if (target.kind === 'Ingress') return readIngressState(object, target);
    return readRuleState(target.kind === 'HTTPRoute' ? HTTP_ROUTE_LAYOUT : VIRTUAL_SERVICE_LAYOUT, object, target);
  }

  function planWrite(object: KubeObject, target: Connection['target'], want: WeightState): PlannedWrite | undefined {
    if (target.kind === 'Ingress') return planIngressWrite(object, target, want);
    return planRuleWrite(target.kind === 'HTTPRoute' ? HTTP_ROUTE_LAYOUT : VIRTUAL_SERVICE_LAYOUT, object, target, want);
  }

  /** Read, plan, conditional write; a conflict (409, or a `test` of the resourceVersion that failed) starts over. */
  async function readModifyWrite(conn: Connection, want: WeightState, signal: AbortSignal | undefined): Promise<{ object: KubeObject; before: WeightState | undefined; wrote: boolean }> {
    let before: WeightState | undefined;
    return retryWithBackoff(
      options.retry,
      async () => {
        const object = await conn.api.get(signal);
        if (before === undefined) {
          try {
            before = stateOf(object, conn.target);
          } catch {
            // The object holds no readable split yet (e.g. both weights 0); there is nothing to return to.
          }
        }
        const write = planWrite(object, conn.target, want);
        if (!write) return { object, before, wrote: false };
        try {
          return { object: await conn.api.patch(write, signal), before, wrote: true };
        } catch (error) {
          if (error instanceof KubeRequestError && error.status === 422 && write.contentType === 'application/json-patch+json') {
            // A JSON Patch `test` that failed is 422, like a validation error: if the object moved on since it was
            // read, it was a conflict, and worth another round.
            const now = await conn.api.get(signal).catch(() => undefined);
            if (now && now.metadata?.resourceVersion !== object.metadata?.resourceVersion) {
              throw new KubeRequestError(`${where()} changed between read and write (resourceVersion ${object.metadata?.resourceVersion} → ${now.metadata?.resourceVersion})`, { status: 409, retryable: true, cause: error });
            }
          }
          throw error;
        }
      },
      {
        ...(signal ? { signal } : {}),
        isRetryable: (error) => error instanceof KubeRequestError && error.retryable,
        onRetry: ({ attempt, delayMs, error }) => context.logger?.warn({ rolloutId: context.rolloutId, attempt, retryInMs: delayMs, err: (error as Error).message }, 'kubernetes write not done yet; retrying'),
      },
    );
  }

  /** HTTPRoute: every parent Accepted at the written generation, within verifyTimeoutMs. */
  async function verifyAccepted(conn: Connection, written: KubeObject, want: WeightState, signal: AbortSignal | undefined): Promise<void> {
    startInformer(conn);
    const deadline = performance.now() + options.verifyTimeoutMs;
    let object = written;
    for (;;) {
      signal?.throwIfAborted();
      const held = stateOf(object, conn.target);
      if (held.weightPercent !== want.weightPercent || held.generation !== want.generation) {
        throw new Error(`${where()} was changed by someone else while Sluice verified it: it now holds ${held.weightPercent}% (generation ${held.generation})`);
      }
      const acceptance = acceptanceOf(object);
      if (acceptance.accepted) return;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new Error(`not Accepted by every parent within ${options.verifyTimeoutMs} ms: ${acceptance.reason}`);
      await nextChange(Math.min(options.verifyIntervalMs, remaining), signal);
      object = await conn.api.get(signal);
    }
  }

  /** VirtualService, Ingress: the object read back holds what was written. */
  async function verifyReadBack(conn: Connection, want: WeightState, signal: AbortSignal | undefined): Promise<void> {
    const held = stateOf(await conn.api.get(signal), conn.target);
    if (held.weightPercent !== want.weightPercent || held.generation !== want.generation) {
      throw new Error(`read back ${held.weightPercent}% (generation ${held.generation}) instead of what was written`);
    }
  }

  async function applyNow(want: WeightState, signal: AbortSignal | undefined): Promise<WeightState> {
    const conn = await connect((message, cause) => applyError('kubernetes', message, { cause }));
    let result: Awaited<ReturnType<typeof readModifyWrite>>;
    try {
      result = await readModifyWrite(conn, want, signal);
    } catch (error) {
      throw applyError('kubernetes', `${where()}: cannot write ${want.weightPercent}% (generation ${want.generation}): ${messageOf(error)}`, { cause: error });
    }
    try {
      if (conn.target.kind === 'HTTPRoute') await verifyAccepted(conn, result.object, want, signal);
      else if (result.wrote) await verifyReadBack(conn, want, signal);
    } catch (error) {
      const restored = result.wrote ? await restore(conn, want, result.before) : undefined;
      throw applyError('kubernetes', `${where()}: ${want.weightPercent}% (generation ${want.generation}) was written but not verified: ${messageOf(error)}${restored ?? ''}`, { cause: error });
    }
    lastKnownGood.record(want, null);
    if (result.wrote) context.logger?.info({ rolloutId: context.rolloutId, kind: options.kind, weightPercent: want.weightPercent, generation: want.generation }, 'kubernetes weight applied and verified');
    return want;
  }

  /**
   * Returns to the last known good weights after a write that was not verified — unless that would give the canary more
   * traffic than the failed write did: a rollback that cannot be verified keeps the lower weight it wrote.
   */
  async function restore(conn: Connection, failed: WeightState, before: WeightState | undefined): Promise<string> {
    const target = lastKnownGood.state ?? before;
    if (!target) return '; no earlier weight is known, so it was left as written';
    if (target.weightPercent > failed.weightPercent) return `; left as written (returning to ${target.weightPercent}% would send the canary more traffic)`;
    try {
      const object = await conn.api.get();
      const write = planWrite(object, conn.target, target);
      if (write) await conn.api.patch(write);
      return `; restored the last known good ${target.weightPercent}% (generation ${target.generation})`;
    } catch (error) {
      return `; restoring ${target.weightPercent}% failed too: ${messageOf(error)}`;
    }
  }

  function nextChange(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        changeWaiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      changeWaiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  function onObject(object: KubernetesObject): void {
    for (const wake of [...changeWaiters]) wake();
    if (!connection || listeners.size === 0) return;
    let state: WeightState;
    try {
      state = stateOf(object as KubeObject, connection.target);
    } catch {
      return; // not a readable split; the next read-back reports why
    }
    const key = `${state.weightPercent}/${state.generation}`;
    if (key === lastSeen) return;
    lastSeen = key;
    for (const listener of listeners) listener(state);
  }

  /** Starts the watch on the object: at once with a connection, else once connected (a failure is logged, not thrown). */
  function startInformer(conn?: Connection): void {
    if (informer || closed) return;
    if (!conn) {
      connect((message, cause) => readError('kubernetes', message, { cause })).then(
        (connected) => startInformer(connected),
        (error: unknown) => context.logger?.warn({ rolloutId: context.rolloutId, err: messageOf(error) }, 'kubernetes watch not started'),
      );
      return;
    }
    const watch = conn.api.informer();
    informer = watch;
    watch.on('add', onObject);
    watch.on('update', onObject);
    watch.on('delete', onObject);
    watch.on('error', (error: unknown) => {
      if (closed) return;
      informerRestarts++;
      const delayMs = backoffDelayMs(WATCH_RESTART_POLICY, Math.min(informerRestarts, 20), Math.random);
      context.logger?.warn({ rolloutId: context.rolloutId, err: messageOf(error), retryInMs: delayMs }, `kubernetes watch of ${where()} failed; restarting`);
      informerTimer = setTimeout(() => {
        informerTimer = undefined;
        if (!closed) void watch.start().catch(() => undefined);
      }, delayMs);
    });
    watch.on('connect', () => {
      informerRestarts = 0;
    });
    void watch.start().catch(() => undefined);
  }

  function serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }

  return {
    type: 'kubernetes',
    apply(desired: WeightState, signal?: AbortSignal): Promise<WeightState> {
      const want = { weightPercent: roundWeightPercent(desired.weightPercent), generation: desired.generation };
      return serialised(() => applyNow(want, signal));
    },
    async read(signal?: AbortSignal): Promise<WeightState> {
      const conn = await connect((message, cause) => readError('kubernetes', message, { cause }));
      try {
        return stateOf(await conn.api.get(signal), conn.target);
      } catch (error) {
        throw readError('kubernetes', `cannot read ${where()}: ${messageOf(error)}`, { cause: error });
      }
    },
    async health(signal?: AbortSignal): Promise<AdapterHealth> {
      try {
        const conn = await connect((message, cause) => readError('kubernetes', message, { cause }));
        const object = await conn.api.get(signal);
        stateOf(object, conn.target);
        if (conn.target.kind === 'HTTPRoute') {
          const acceptance = acceptanceOf(object);
          if (!acceptance.accepted) return { ok: false, detail: `${where()}: ${acceptance.reason}` };
        }
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: messageOf(error) };
      }
    },
    watch(listener: Listener): () => void {
      listeners.add(listener);
      startInformer();
      // A watch already running has the object in its cache: tell the new listener what is in force now.
      const cached = connection ? informer?.get(connection.target.name, connection.target.namespace) : undefined;
      if (cached && connection) {
        try {
          const state = stateOf(cached as KubeObject, connection.target);
          lastSeen = `${state.weightPercent}/${state.generation}`;
          listener(state);
        } catch {
          // Not a readable split; the next read-back reports why.
        }
      }
      return () => listeners.delete(listener);
    },
    async close(): Promise<void> {
      closed = true;
      listeners.clear();
      if (informerTimer) clearTimeout(informerTimer);
      await informer?.stop().catch(() => undefined);
      for (const wake of [...changeWaiters]) wake();
      await queue;
    },
  };
}

function messageOf(error: unknown): string {
  if (error instanceof TargetError || error instanceof KubeRequestError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

