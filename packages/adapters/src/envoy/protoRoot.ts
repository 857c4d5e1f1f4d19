import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type protobuf from 'protobufjs';
import { protobufJs } from './lazyDependencies.js';

/**
 * The Envoy v3 API as protobuf types, loaded from the .proto files that ship inside @grpc/grpc-js-xds (deps/envoy-api,
 * deps/xds, deps/googleapis, deps/protoc-gen-validate) — the same definitions the proxyless gRPC client decodes with.
 * Loading takes ~0.5 s, so it happens once per process, on first use.
 */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const LISTENER_TYPE = 'envoy.config.listener.v3.Listener';
export const ROUTE_CONFIGURATION_TYPE = 'envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE = 'envoy.config.cluster.v3.Cluster';
export const CLUSTER_LOAD_ASSIGNMENT_TYPE = 'envoy.config.endpoint.v3.ClusterLoadAssignment';

export const LDS_TYPE_URL = `${TYPE_URL_PREFIX}${LISTENER_TYPE}`;
export const RDS_TYPE_URL = `${TYPE_URL_PREFIX}${ROUTE_CONFIGURATION_TYPE}`;
export const CDS_TYPE_URL = `${TYPE_URL_PREFIX}${CLUSTER_TYPE}`;
export const EDS_TYPE_URL = `${TYPE_URL_PREFIX}${CLUSTER_LOAD_ASSIGNMENT_TYPE}`;

/** The four resource types the ADS server serves, in the order Envoy applies them (clusters before routes). */
export const XDS_TYPE_URLS = [CDS_TYPE_URL, EDS_TYPE_URL, LDS_TYPE_URL, RDS_TYPE_URL] as const;
export type XdsTypeUrl = (typeof XDS_TYPE_URLS)[number];

/**
 * Files loaded: the discovery, access-log and client-status services, the four resource types, and the extensions an
 * operator's resources commonly embed as `typed_config` (the HTTP connection manager and its router filter, TLS
 * transport sockets, load-balancing policies, file and gRPC access loggers, health checks). A resource that names
 * another `@type` is refused with the list of what is known.
 */
const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/accesslog/v3/als.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/pick_first/v3/pick_first.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/grpc/v3/als.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
];

let root: protobuf.Root | undefined;

/** The loaded Envoy API (field names as in the .proto files, snake_case). */
export function envoyProtoRoot(): protobuf.Root {
  if (root) return root;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  // google/protobuf/descriptor.proto (imported by the validation annotations) ships with protobufjs, not in deps/.
  const protobufDir = dirname(require.resolve('protobufjs/package.json'));
  const loaded = new (protobufJs().Root)();
  loaded.resolvePath = (_origin: string, target: string): string => {
    if (target.startsWith('google/protobuf/') && existsSync(join(protobufDir, target))) return join(protobufDir, target);
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  loaded.loadSync(PROTO_FILES, { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** The message type of a fully qualified name (`envoy.config.cluster.v3.Cluster`), or undefined. */
export function lookupMessageType(fullName: string): protobuf.Type | undefined {
  try {
    const found = envoyProtoRoot().lookup(fullName);
    return found instanceof protobufJs().Type ? found : undefined;
  } catch {
    return undefined;
  }
}

export function messageType(fullName: string): protobuf.Type {
  const type = lookupMessageType(fullName);
  if (!type) throw new Error(`protobuf type ${fullName} is not loaded`);
  return type;
}

/** Encodes a plain object (snake_case fields, protobufjs shapes) as `type`. */
export function encodeMessage(type: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

/**
 * Decodes bytes of `type` to a plain object: 64-bit integers and enums as strings, oneof names included, and every
 * nested `google.protobuf.Any` decoded as `{ '@type': …, …fields }` when its type is loaded (tests and the access-log
 * service read what peers send with it).
 */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const object = type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: Buffer, oneofs: true, defaults: false });
  return expandAny(object) as Record<string, unknown>;
}

function expandAny(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandAny);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const object = value as Record<string, unknown>;
  if (typeof object.type_url === 'string' && Buffer.isBuffer(object.value) && Object.keys(object).length === 2) {
    const name = object.type_url.slice(object.type_url.lastIndexOf('/') + 1);
    const type = lookupMessageType(name);
    if (type) return { '@type': object.type_url, ...decodeMessage(type, object.value) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(object)) out[key] = expandAny(inner);
  return out;
}
