import { createHash } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AdapterLogger } from '../createAdapter.js';
import { grpcJs } from './lazyDependencies.js';
import { CDS_TYPE_URL, LDS_TYPE_URL, RDS_TYPE_URL, XDS_TYPE_URLS, type XdsTypeUrl } from './protoRoot.js';

/** A resource as the server offers it now: `identity` changes whenever what a client would receive changes. */
export interface ServedResource {
  name: string;
  /** `version_info` when the resource is sent alone (RouteConfigurations: the generation). */
  versionInfo: string;
  identity: string;
  bytes: Uint8Array;
}

/** What streams read from the control plane. */
export interface ResourceProvider {
  served(typeUrl: XdsTypeUrl): ReadonlyMap<string, ServedResource>;
}

/** The request fields the server uses, decoded from envoy.service.discovery.v3.DiscoveryRequest. */
export interface DiscoveryRequestView {
  version_info?: string;
  node?: { id?: string; cluster?: string; user_agent_name?: string } | null;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

export interface DiscoveryResponseView {
  version_info: string;
  resources: { type_url: string; value: Uint8Array }[];
  type_url: string;
  nonce: string;
}

/** The latest NACK of one type: the client's message and the resources (with identities) of the response it refused. */
export interface NackRecord {
  message: string;
  identities: ReadonlyMap<string, string>;
}

/** Per stream and type URL (state of the world): subscription, the one response in flight, what was ACKed or NACKed. */
export interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  /** Nonce of the last response sent; requests carrying any other nonce are stale and ignored. */
  lastNonce: string | undefined;
  /** The response awaiting its ACK/NACK: at most one per type, later changes wait and are coalesced. */
  inFlight: { nonce: string; identities: Map<string, string> } | undefined;
  /** Identity last sent per name (ACKed or not): the same identity is not sent twice, so a NACKed one is not resent. */
  sent: Map<string, string>;
  /** Identity the client accepted per name. */
  acked: Map<string, string>;
  nack: NackRecord | undefined;
  /** Whether a response was ever sent (full-state types answer the first request even when empty). */
  answered: boolean;
}

/** Bounds on what one client may ask for. */
export const RESOURCE_NAMES_MAX = 10_000;

const FULL_STATE = new Set<string>([LDS_TYPE_URL, CDS_TYPE_URL]);

export interface AdsStreamCounters {
  responses: number;
  acks: number;
  nacks: number;
  staleIgnored: number;
}

/**
 * One ADS stream (state of the world), per the xDS protocol: a response per type only after the previous one was ACKed
 * or NACKed (changes in between are coalesced, as go-control-plane's SotW server does with its watches); a nonce per
 * response; a request with any nonce but the last one sent is stale and ignored whole; Listener and Cluster responses
 * carry the full set a client subscribes to (a name missing from them means deleted), RouteConfiguration and
 * ClusterLoadAssignment responses carry only what changed. A client that reconnects opens a new stream and gets the
 * current state.
 */
export class AdsStream {
  readonly id: number;
  readonly peer: string;
  nodeId: string | undefined;
  nodeCluster: string | undefined;
  readonly connectedAt: number;
  readonly counters: AdsStreamCounters = { responses: 0, acks: 0, nacks: 0, staleIgnored: 0 };
  readonly #types = new Map<XdsTypeUrl, TypeState>();
  readonly #call: ServerDuplexStream<DiscoveryRequestView, DiscoveryResponseView>;
  readonly #provider: ResourceProvider;
  readonly #onChange: (stream: AdsStream) => void;
  readonly #logger: AdapterLogger | undefined;
  #nonceCounter = 0;
  #closed = false;

  constructor(
    id: number,
    call: ServerDuplexStream<DiscoveryRequestView, DiscoveryResponseView>,
    provider: ResourceProvider,
    hooks: { onChange(stream: AdsStream): void; onClose(stream: AdsStream): void },
    logger?: AdapterLogger,
  ) {
    this.id = id;
    this.#call = call;
    this.#provider = provider;
    this.#onChange = hooks.onChange;
    this.#logger = logger;
    this.peer = call.getPeer();
    this.connectedAt = Date.now();
    let closedOnce = false;
    const close = (): void => {
      if (closedOnce) return;
      closedOnce = true;
      this.#closed = true;
      hooks.onClose(this);
    };
    call.on('data', (request: DiscoveryRequestView) => {
      try {
        this.#onRequest(request);
      } catch (error) {
        this.#logger?.warn({ stream: this.id, node: this.nodeId, err: (error as Error).message }, 'xDS request could not be handled; closing the stream');
        this.end(grpcJs().status.INTERNAL, `request could not be handled: ${(error as Error).message}`);
      }
    });
    call.on('end', () => {
      call.end();
      close();
    });
    call.on('error', close);
    call.on('close', close);
    call.on('cancelled', close);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The stream's state for a type URL, if the client asked for that type. */
  state(typeUrl: XdsTypeUrl): Readonly<TypeState> | undefined {
    return this.#types.get(typeUrl);
  }

  /** Whether the client subscribes to `name` of `typeUrl` (a wildcard covers every name). */
  subscribes(typeUrl: XdsTypeUrl, name: string): boolean {
    const state = this.#types.get(typeUrl);
    return state !== undefined && (state.wildcard || state.names.has(name));
  }

  /** Sends whatever changed for every type the client asked for (called when the served resources change). */
  pushAll(): void {
    for (const typeUrl of this.#types.keys()) this.#pump(typeUrl);
  }

  /** Ends the stream with a status (server shutdown, a client over its bounds). */
  end(code: number, details: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#call.emit('error', { code, details });
  }

  #onRequest(request: DiscoveryRequestView): void {
    if (this.#closed) return;
    if (this.nodeId === undefined && request.node?.id !== undefined) {
      this.nodeId = request.node.id;
      this.nodeCluster = request.node.cluster || undefined;
    }
    const typeUrl = request.type_url as XdsTypeUrl;
    if (!(XDS_TYPE_URLS as readonly string[]).includes(typeUrl)) {
      this.#logger?.warn({ stream: this.id, node: this.nodeId, typeUrl: request.type_url }, 'xDS request for a type this server does not serve; ignored');
      return;
    }
    const names = request.resource_names ?? [];
    if (names.length > RESOURCE_NAMES_MAX) {
      this.end(grpcJs().status.RESOURCE_EXHAUSTED, `${names.length} resource names in one request; at most ${RESOURCE_NAMES_MAX}`);
      return;
    }
    let state = this.#types.get(typeUrl);
    const nonce = request.response_nonce ?? '';
    if (!state) {
      state = { wildcard: false, names: new Set(), lastNonce: undefined, inFlight: undefined, sent: new Map(), acked: new Map(), nack: undefined, answered: false };
      this.#types.set(typeUrl, state);
      // The first request of a type on a new stream may carry the nonce of a previous stream: it is not stale.
    } else if (nonce !== state.lastNonce) {
      this.counters.staleIgnored++;
      return;
    }
    if (state.inFlight && nonce === state.inFlight.nonce) {
      const detail = request.error_detail;
      if (detail && (detail.code || detail.message)) {
        this.counters.nacks++;
        state.nack = { message: detail.message || `error code ${detail.code}`, identities: state.inFlight.identities };
        this.#logger?.warn({ stream: this.id, node: this.nodeId, typeUrl, version: request.version_info, detail: detail.message }, 'xDS client rejected a response (NACK)');
      } else {
        this.counters.acks++;
        if (FULL_STATE.has(typeUrl)) state.acked = new Map(state.inFlight.identities);
        else for (const [name, identity] of state.inFlight.identities) state.acked.set(name, identity);
        if (state.nack && [...state.nack.identities.keys()].every((name) => state.acked.has(name))) state.nack = undefined;
      }
      state.inFlight = undefined;
    }
    this.#subscribe(typeUrl, state, names);
    this.#onChange(this);
    this.#pump(typeUrl);
  }

  #subscribe(typeUrl: XdsTypeUrl, state: TypeState, names: readonly string[]): void {
    const fullState = FULL_STATE.has(typeUrl);
    // Listener and Cluster: an empty list in the first request is the legacy wildcard, "*" the explicit one.
    if (fullState && (names.includes('*') || (names.length === 0 && !state.answered && state.names.size === 0))) {
      state.wildcard = true;
      state.names = new Set(names.filter((n) => n !== '*'));
      return;
    }
    if (fullState && state.wildcard && names.length === 0) return;
    state.wildcard = false;
    const next = new Set(names);
    for (const name of state.names) {
      if (next.has(name)) continue;
      // Unsubscribed: forget what was sent, so a later subscription gets the resource again.
      state.sent.delete(name);
      state.acked.delete(name);
    }
    state.names = next;
  }

  #pump(typeUrl: XdsTypeUrl): void {
    const state = this.#types.get(typeUrl);
    if (!state || state.inFlight || this.#closed) return;
    const served = this.#provider.served(typeUrl);
    let chosen: ServedResource[];
    if (FULL_STATE.has(typeUrl)) {
      chosen = [...served.values()].filter((r) => state.wildcard || state.names.has(r.name));
      const unchanged = chosen.length === state.sent.size && chosen.every((r) => state.sent.get(r.name) === r.identity);
      if (state.answered && unchanged) return;
    } else {
      chosen = [];
      for (const name of state.names) {
        const resource = served.get(name);
        if (resource && state.sent.get(name) !== resource.identity) chosen.push(resource);
      }
      if (chosen.length === 0) return;
      // One RouteConfiguration per response, so that its version_info is its generation.
      if (typeUrl === RDS_TYPE_URL && chosen.length > 1) chosen = [chosen.sort((a, b) => a.name.localeCompare(b.name))[0]!];
    }
    const nonce = `${this.id}.${++this.#nonceCounter}`;
    const identities = new Map(chosen.map((r) => [r.name, r.identity]));
    state.inFlight = { nonce, identities };
    // A NACK is about the latest response only: once another is sent, the client's answer to that one counts.
    state.nack = undefined;
    state.lastNonce = nonce;
    state.answered = true;
    if (FULL_STATE.has(typeUrl)) state.sent = new Map(identities);
    else for (const [name, identity] of identities) state.sent.set(name, identity);
    this.counters.responses++;
    this.#call.write({ version_info: versionInfoOf(chosen), resources: chosen.map((r) => ({ type_url: typeUrl, value: r.bytes })), type_url: typeUrl, nonce });
  }
}

/**
 * `version_info` of a response: a single resource's own version (a RouteConfiguration's generation), otherwise a
 * digest of the identities sent — the same set gives the same version after a restart.
 */
function versionInfoOf(resources: readonly ServedResource[]): string {
  if (resources.length === 1) return resources[0]!.versionInfo;
  const hash = createHash('sha256');
  for (const r of [...resources].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${r.name}\0${r.identity}\0`);
  return hash.digest('hex').slice(0, 16);
}
