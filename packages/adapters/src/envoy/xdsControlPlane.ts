import { createHash } from 'node:crypto';
import type { Server, ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { WeightState } from '@sluice/core';
import type { AdapterLogger } from '../createAdapter.js';
import { grpcJs } from './lazyDependencies.js';
import { AdsStream, type DiscoveryRequestView, type DiscoveryResponseView, type ServedResource } from './adsStream.js';
import { CDS_TYPE_URL, EDS_TYPE_URL, encodeMessage, messageType, RDS_TYPE_URL, ROUTE_CONFIGURATION_TYPE, XDS_TYPE_URLS, type XdsTypeUrl } from './protoRoot.js';
import { typeLabel, type ResourceSet } from './resourcesFile.js';
import { renderRouteConfiguration, type RouteTarget } from './routeConfiguration.js';
import { adsServiceDefinition } from './xdsServices.js';

/** Which clients must ACK a version before it counts as applied. */
export type AckExpectation = { nodes: readonly string[] } | { clientsMin: number };

/** A rollout's claim on a RouteConfiguration (its template, if any, is the resources file's route of that name). */
export interface RouteOwnerSpec extends Omit<RouteTarget, 'template'> {
  rolloutId: string;
  /** The operator's Listener / Cluster / ClusterLoadAssignment resources (and the route template), if any. */
  resources?: ResourceSet | undefined;
  expectation: AckExpectation;
}

interface PublishedRoute {
  state: WeightState;
  resource: ServedResource;
}

interface RouteOwner extends RouteOwnerSpec {
  ended: boolean;
  published: PublishedRoute;
  lastGood: PublishedRoute;
  lastGoodResources: ResourceSet | undefined;
  /** Identity → state of recent versions, so a read-back maps what clients hold to a weight and generation. */
  history: Map<string, WeightState>;
}

/** Outcome of checking what the expected clients hold. */
export type AckCheck = { kind: 'done' } | { kind: 'failed'; message: string } | { kind: 'pending'; waitingFor: string[] };

/** Why waiting for ACKs ended without them: a client's NACK, the timeout, the caller's signal, or shutdown. */
export class AckWaitError extends Error {
  readonly reason: 'nack' | 'timeout' | 'aborted' | 'closed';
  constructor(reason: AckWaitError['reason'], message: string) {
    super(message);
    this.name = 'AckWaitError';
    this.reason = reason;
  }
}

export interface ClientStatus {
  stream: number;
  node: string | undefined;
  peer: string;
  connectedAt: number;
  responses: number;
  acks: number;
  nacks: number;
  staleIgnored: number;
}

/** Connected ADS streams at most; more are refused with RESOURCE_EXHAUSTED. */
export const STREAMS_MAX = 10_000;
const HISTORY_MAX = 32;

interface Waiter {
  check: () => AckCheck;
  settle: (result: AckCheck, reason?: AckWaitError['reason']) => void;
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * The xDS control plane of one daemon: every rollout with the envoy adapter owns one RouteConfiguration; the
 * resources of their files (Listeners, Clusters, ClusterLoadAssignments) are served beside them, to every client (one
 * shared snapshot, as go-control-plane's cache with a single node group). It tracks what each connected client ACKed
 * or NACKed, which is what "applied" means for this adapter. It does no I/O of its own except writing to the streams
 * of the gRPC server it is added to (`addTo`).
 */
export class XdsControlPlane {
  readonly #owners = new Map<string, RouteOwner>();
  readonly #byRollout = new Map<string, RouteOwner>();
  readonly #streams = new Set<AdsStream>();
  readonly #waiters = new Set<Waiter>();
  readonly #logger: AdapterLogger | undefined;
  #served = new Map<XdsTypeUrl, Map<string, ServedResource>>();
  #nextStreamId = 1;
  #closed = false;

  constructor(options: { logger?: AdapterLogger } = {}) {
    this.#logger = options.logger;
    for (const typeUrl of XDS_TYPE_URLS) this.#served.set(typeUrl, new Map());
  }

  /** Adds the aggregated discovery service to a gRPC server (before it starts). */
  addTo(server: Server): void {
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequestView, DiscoveryResponseView>) => this.#accept(call),
    } as UntypedServiceImplementation);
  }

  /** Ends every stream (daemon shutdown); clients keep what they hold and reconnect to the next server. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#streams) stream.end(grpcJs().status.UNAVAILABLE, 'the Sluice xDS server is shutting down');
    this.#streams.clear();
    for (const waiter of [...this.#waiters]) waiter.settle({ kind: 'failed', message: 'the xDS server closed' }, 'closed');
  }

  // --- ownership ---------------------------------------------------------------------------------------------------

  /** Problems that keep `spec` from being attached now (another running rollout owns the route, resources conflict). */
  attachProblems(spec: RouteOwnerSpec): string[] {
    const problems: string[] = [];
    const current = this.#owners.get(spec.name);
    if (current && current.rolloutId !== spec.rolloutId && !current.ended) {
      problems.push(`RouteConfiguration "${spec.name}" is served for rollout "${current.rolloutId}", which is still running; wait for it to end, or give this rollout another routeConfiguration`);
    }
    problems.push(...this.#resourceConflicts(spec.rolloutId, spec.name, spec.resources));
    return problems;
  }

  /**
   * Starts serving `spec`'s RouteConfiguration at `inForce` (from the log after a restart; weight 0 generation 0 for a
   * new rollout) with its resources. A rollout attached before keeps its state (idempotent). An ended rollout that
   * owned the same route is replaced, its resources with it. Throws Error listing the problems of attachProblems.
   */
  attach(spec: RouteOwnerSpec, inForce: WeightState, options: { ended?: boolean } = {}): void {
    const existing = this.#byRollout.get(spec.rolloutId);
    if (existing) {
      if (options.ended) existing.ended = true;
      return;
    }
    const problems = this.attachProblems(spec);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const replaced = this.#owners.get(spec.name);
    if (replaced) this.#byRollout.delete(replaced.rolloutId);
    const published = this.#render(spec, inForce);
    const owner: RouteOwner = { ...spec, ended: options.ended ?? false, published, lastGood: published, lastGoodResources: spec.resources, history: new Map() };
    owner.history.set(published.resource.identity, inForce);
    this.#owners.set(spec.name, owner);
    this.#byRollout.set(spec.rolloutId, owner);
    this.#changed();
  }

  /** The rollout ended: its route and resources stay served until a later rollout takes the route over. */
  markEnded(rolloutId: string): void {
    const owner = this.#byRollout.get(rolloutId);
    if (owner) owner.ended = true;
  }

  isAttached(rolloutId: string): boolean {
    return this.#byRollout.has(rolloutId);
  }

  // --- what adapters do --------------------------------------------------------------------------------------------

  /** Serves a new resource set for the rollout; false when it is identical to the one served. Throws on conflicts. */
  setResources(rolloutId: string, resources: ResourceSet): boolean {
    const owner = this.#owner(rolloutId);
    if (sameResources(owner.resources, resources)) return false;
    const problems = this.#resourceConflicts(rolloutId, owner.name, resources);
    if (problems.length > 0) throw new Error(problems.join('; '));
    owner.resources = resources;
    this.#changed();
    return true;
  }

  /** Returns to the last resource set that was verified (after a NACK). */
  revertResources(rolloutId: string): void {
    const owner = this.#owner(rolloutId);
    if (owner.resources === owner.lastGoodResources) return;
    owner.resources = owner.lastGoodResources;
    this.#changed();
  }

  commitResources(rolloutId: string): void {
    const owner = this.#owner(rolloutId);
    owner.lastGoodResources = owner.resources;
  }

  /** Serves the rollout's route at `state`; returns the identity clients must ACK. */
  publishRoute(rolloutId: string, state: WeightState): string {
    const owner = this.#owner(rolloutId);
    const published = this.#render(owner, state);
    owner.history.delete(published.resource.identity);
    owner.history.set(published.resource.identity, { ...state });
    while (owner.history.size > HISTORY_MAX) owner.history.delete(owner.history.keys().next().value!);
    if (published.resource.identity !== owner.published.resource.identity) {
      owner.published = published;
      this.#changed();
    }
    return published.resource.identity;
  }

  /** Serves the last verified route again (after a NACK, or a timeout of a weight increase). */
  revertRoute(rolloutId: string): void {
    const owner = this.#owner(rolloutId);
    if (owner.published.resource.identity === owner.lastGood.resource.identity) return;
    owner.published = owner.lastGood;
    this.#changed();
  }

  commitRoute(rolloutId: string): void {
    const owner = this.#owner(rolloutId);
    owner.lastGood = owner.published;
  }

  /** Identity of the route version served now. */
  publishedRouteIdentity(rolloutId: string): string {
    return this.#owner(rolloutId).published.resource.identity;
  }

  /** The state of the route served now (not necessarily ACKed). */
  publishedState(rolloutId: string): WeightState {
    return { ...this.#owner(rolloutId).published.state };
  }

  lastGoodState(rolloutId: string): WeightState {
    return { ...this.#owner(rolloutId).lastGood.state };
  }

  /** Whether the expected clients ACKed the route version `identity`; a NACK of it fails with the client's message. */
  checkRoute(rolloutId: string, identity: string): AckCheck {
    const owner = this.#owner(rolloutId);
    const { streams, missing } = this.#expectedStreams(owner);
    const waitingFor = [...missing];
    for (const stream of streams) {
      const state = stream.state(RDS_TYPE_URL);
      if (state?.acked.get(owner.name) === identity) continue;
      if (state?.nack && state.nack.identities.get(owner.name) === identity) {
        const version = owner.history.get(identity);
        return { kind: 'failed', message: `${clientLabel(stream)} rejected RouteConfiguration "${owner.name}"${version ? ` generation ${version.generation}` : ''} (NACK): ${state.nack.message}` };
      }
      waitingFor.push(`${clientLabel(stream)} (holds ${this.#describeHeld(owner, state?.acked.get(owner.name))})`);
    }
    return waitingFor.length === 0 ? { kind: 'done' } : { kind: 'pending', waitingFor };
  }

  /**
   * Make-before-break: whether the expected clients hold the canary cluster (and its endpoints, for an EDS cluster fed
   * over ADS) at the version served now, and have not rejected any of the rollout's resources they subscribe to.
   */
  checkResources(rolloutId: string): AckCheck {
    const owner = this.#owner(rolloutId);
    if (!owner.resources) return { kind: 'done' };
    // Only connected clients: one that connects later gets clusters and route together, and a client does not use a
    // route before it has the clusters the route names (gRFC A74; Envoy warms clusters before listeners and routes).
    const { streams } = this.#expectedStreams(owner);
    const waitingFor: string[] = [];
    const canary = owner.resources.clusters.get(owner.canaryCluster);
    const required: [XdsTypeUrl, string][] = [[CDS_TYPE_URL, owner.canaryCluster]];
    if (canary?.edsServiceName) required.push([EDS_TYPE_URL, canary.edsServiceName]);
    for (const stream of streams) {
      const pending: string[] = [];
      for (const [typeUrl, byName] of owner.resources.resources) {
        if (typeUrl === RDS_TYPE_URL) continue;
        for (const name of byName.keys()) {
          const served = this.#served.get(typeUrl)?.get(name);
          const state = stream.state(typeUrl);
          const isRequired = required.some(([t, n]) => t === typeUrl && n === name);
          if (!served || (!isRequired && !stream.subscribes(typeUrl, name))) continue;
          if (state?.acked.get(name) === served.identity) continue;
          if (state?.nack && state.nack.identities.get(name) === served.identity) {
            return { kind: 'failed', message: `${clientLabel(stream)} rejected ${typeLabel(typeUrl)} "${name}" (NACK): ${state.nack.message}` };
          }
          if (isRequired) pending.push(`${typeLabel(typeUrl)} "${name}"`);
        }
      }
      if (pending.length > 0) waitingFor.push(`${clientLabel(stream)} (has not ACKed ${pending.join(', ')})`);
    }
    return waitingFor.length === 0 ? { kind: 'done' } : { kind: 'pending', waitingFor };
  }

  /**
   * Resolves once `check` is done; rejects with the failure message, or on timeout with what it still waits for
   * (prefixed by `timeoutMessage`), or when `signal` aborts. The check runs again whenever a client changes state.
   */
  waitFor(check: () => AckCheck, timeoutMs: number, timeoutMessage: string, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let last: AckCheck = { kind: 'pending', waitingFor: [] };
      const waiter: Waiter = {
        check,
        settle: (result, reason = 'nack') => {
          if (result.kind === 'pending') {
            last = result;
            return;
          }
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          if (result.kind === 'done') resolve();
          else reject(new AckWaitError(reason, result.message));
        },
      };
      const timer = setTimeout(() => {
        const waiting = last.kind === 'pending' && last.waitingFor.length > 0 ? last.waitingFor.join('; ') : 'no answer';
        waiter.settle({ kind: 'failed', message: `${timeoutMessage} after ${timeoutMs} ms; waiting for: ${waiting}` }, 'timeout');
      }, timeoutMs);
      const onAbort = (): void => waiter.settle({ kind: 'failed', message: `${timeoutMessage}: cancelled (${String(signal?.reason ?? 'aborted')})` }, 'aborted');
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      waiter.settle(check());
    });
  }

  /** What every expected client holds, when they all hold the same version; otherwise throws Error saying who holds what. */
  readRoute(rolloutId: string): WeightState {
    const owner = this.#owner(rolloutId);
    const { streams, missing } = this.#expectedStreams(owner);
    if (missing.length > 0) throw new Error(`waiting for: ${missing.join('; ')}`);
    const held = new Map<string | undefined, string[]>();
    for (const stream of streams) {
      const identity = stream.state(RDS_TYPE_URL)?.acked.get(owner.name);
      held.set(identity, [...(held.get(identity) ?? []), clientLabel(stream)]);
    }
    const [only] = held.keys();
    if (held.size === 1 && only !== undefined) {
      const state = owner.history.get(only);
      if (state) return { ...state };
    }
    throw new Error(`clients hold different versions of RouteConfiguration "${owner.name}": ${[...held].map(([identity, clients]) => `${clients.join(', ')}: ${this.#describeHeld(owner, identity)}`).join('; ')}`);
  }

  /** Connected clients (for health, metrics and tests). */
  clients(): ClientStatus[] {
    return [...this.#streams].map((s) => ({ stream: s.id, node: s.nodeId, peer: s.peer, connectedAt: s.connectedAt, ...s.counters }));
  }

  /** Resources served now, by type URL and name (for tests and the docs' examples). */
  served(typeUrl: XdsTypeUrl): ReadonlyMap<string, ServedResource> {
    return this.#served.get(typeUrl)!;
  }

  // --- internals ---------------------------------------------------------------------------------------------------

  #owner(rolloutId: string): RouteOwner {
    const owner = this.#byRollout.get(rolloutId);
    if (!owner) throw new Error(`rollout "${rolloutId}" has no RouteConfiguration on this xDS server (it was taken over by a later rollout, or never attached)`);
    return owner;
  }

  #render(owner: RouteOwnerSpec, state: WeightState): PublishedRoute {
    const type = messageType(ROUTE_CONFIGURATION_TYPE);
    // The operator's RouteConfiguration of the same name, if the resources file has one, is the template.
    const template = owner.resources?.resources.get(RDS_TYPE_URL)?.get(owner.name)?.object;
    const target: RouteTarget = { name: owner.name, stableCluster: owner.stableCluster, canaryCluster: owner.canaryCluster, domains: owner.domains, ...(template ? { template } : {}) };
    const bytes = encodeMessage(type, renderRouteConfiguration(target, state.weightPercent));
    const identity = `${state.generation}:${digest(bytes)}`;
    return { state: { weightPercent: state.weightPercent, generation: state.generation }, resource: { name: target.name, versionInfo: String(state.generation), identity, bytes } };
  }

  #describeHeld(owner: RouteOwner, identity: string | undefined): string {
    if (identity === undefined) return 'no version yet';
    const state = owner.history.get(identity);
    return state ? `generation ${state.generation} (${state.weightPercent}%)` : `version ${identity}`;
  }

  /** The streams whose ACKs count for `owner`, and what is missing (listed nodes not connected, too few clients). */
  #expectedStreams(owner: RouteOwner): { streams: AdsStream[]; missing: string[] } {
    const subscribers = [...this.#streams].filter((s) => s.subscribes(RDS_TYPE_URL, owner.name));
    const expectation = owner.expectation;
    if ('nodes' in expectation) {
      const streams: AdsStream[] = [];
      const missing: string[] = [];
      // Grouped once: this runs at every ACK of every client, so it must stay linear in the clients.
      const byNode = new Map<string | undefined, AdsStream[]>();
      for (const s of subscribers) byNode.set(s.nodeId, [...(byNode.get(s.nodeId) ?? []), s]);
      for (const node of expectation.nodes) {
        const mine = byNode.get(node) ?? [];
        if (mine.length === 0) {
          const connected = [...this.#streams].some((s) => s.nodeId === node);
          missing.push(`node "${node}" (${connected ? `connected, not subscribed to RouteConfiguration "${owner.name}"` : 'not connected'})`);
        }
        streams.push(...mine);
      }
      return { streams, missing };
    }
    const missing = subscribers.length < expectation.clientsMin ? [`${expectation.clientsMin - subscribers.length} more client(s) subscribed to RouteConfiguration "${owner.name}" (${subscribers.length} of clientsMin ${expectation.clientsMin} connected)`] : [];
    return { streams: subscribers, missing };
  }

  #resourceConflicts(rolloutId: string, routeName: string, resources: ResourceSet | undefined): string[] {
    const problems: string[] = [];
    for (const other of this.#owners.values()) {
      // The rollout itself, and the ended rollout whose route it takes over, do not conflict with it.
      if (other.rolloutId === rolloutId || other.name === routeName) continue;
      if (resources?.resources.get(RDS_TYPE_URL)?.has(other.name) && other.name !== routeName) {
        problems.push(`the resources file defines RouteConfiguration "${other.name}", which rollout "${other.rolloutId}" owns`);
      }
      if (other.resources?.resources.get(RDS_TYPE_URL)?.has(routeName)) {
        problems.push(`rollout "${other.rolloutId}"'s resources file ${other.resources.file} defines RouteConfiguration "${routeName}" as a plain resource`);
      }
      if (!resources || !other.resources) continue;
      for (const [typeUrl, byName] of resources.resources) {
        if (typeUrl === RDS_TYPE_URL) continue;
        const theirs = other.resources.resources.get(typeUrl);
        for (const [name, resource] of byName) {
          const their = theirs?.get(name);
          if (their && digest(their.bytes) !== digest(resource.bytes)) {
            problems.push(`${typeLabel(typeUrl)} "${name}" differs from the one rollout "${other.rolloutId}" serves (from ${other.resources.file}); one name, one definition — make them identical or rename one`);
          }
        }
      }
    }
    return problems;
  }

  /** Rebuilds what is served from every owner, then pushes the changes and re-checks the waiters. */
  #changed(): void {
    const served = new Map<XdsTypeUrl, Map<string, ServedResource>>();
    for (const typeUrl of XDS_TYPE_URLS) served.set(typeUrl, new Map());
    for (const owner of this.#owners.values()) {
      for (const [typeUrl, byName] of owner.resources?.resources ?? []) {
        const into = served.get(typeUrl)!;
        for (const [name, resource] of byName) {
          // The route named like the owner's is its template: the rendered route is served instead.
          if (typeUrl === RDS_TYPE_URL && name === owner.name) continue;
          if (!into.has(name)) {
            const id = digest(resource.bytes);
            into.set(name, { name, versionInfo: id, identity: id, bytes: resource.bytes });
          }
        }
      }
      served.get(RDS_TYPE_URL)!.set(owner.name, owner.published.resource);
    }
    this.#served = served;
    for (const stream of this.#streams) stream.pushAll();
    this.#recheck();
  }

  #recheck(): void {
    for (const waiter of [...this.#waiters]) waiter.settle(waiter.check());
  }

  #accept(call: ServerDuplexStream<DiscoveryRequestView, DiscoveryResponseView>): void {
    if (this.#closed || this.#streams.size >= STREAMS_MAX) {
      call.emit('error', { code: this.#closed ? grpcJs().status.UNAVAILABLE : grpcJs().status.RESOURCE_EXHAUSTED, details: this.#closed ? 'shutting down' : `${STREAMS_MAX} xDS streams are connected already` });
      return;
    }
    const stream = new AdsStream(
      this.#nextStreamId++,
      call,
      { served: (typeUrl) => this.#served.get(typeUrl)! },
      {
        onChange: () => this.#recheck(),
        onClose: (closed) => {
          this.#streams.delete(closed);
          this.#logger?.info({ stream: closed.id, node: closed.nodeId, peer: closed.peer }, 'xDS client disconnected');
          this.#recheck();
        },
      },
      this.#logger,
    );
    this.#streams.add(stream);
  }
}

function clientLabel(stream: AdsStream): string {
  return stream.nodeId ? `node "${stream.nodeId}"` : `client ${stream.peer}`;
}

function sameResources(a: ResourceSet | undefined, b: ResourceSet | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.resources.size !== b.resources.size) return false;
  for (const [typeUrl, byName] of a.resources) {
    const other = b.resources.get(typeUrl);
    if (!other || other.size !== byName.size) return false;
    for (const [name, resource] of byName) {
      const theirs = other.get(name);
      if (!theirs || digest(theirs.bytes) !== digest(resource.bytes)) return false;
    }
  }
  return true;
}
