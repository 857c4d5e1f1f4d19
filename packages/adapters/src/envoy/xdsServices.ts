import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { envoyProtoRoot, messageType } from './protoRoot.js';

/**
 * gRPC service definitions built from the Envoy protos with protobufjs directly (no generated code): the aggregated
 * discovery service this server implements, the access-log service the Envoy sample source implements, and the
 * client status discovery service tests read a gRPC client's state with. Messages are plain objects with snake_case
 * fields; 64-bit integers and enums decode as strings, `Any` values stay `{ type_url, value }`.
 */
const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

function method<Request, Response>(path: string, requestType: string, responseType: string, requestStream: boolean, responseStream: boolean): MethodDefinition<Request, Response> {
  const request = messageType(requestType);
  const response = messageType(responseType);
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: (value: Request) => Buffer.from(request.encode(request.fromObject(value as Record<string, unknown>)).finish()),
    requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), DECODE_OPTIONS) as Request,
    responseSerialize: (value: Response) => Buffer.from(response.encode(response.fromObject(value as Record<string, unknown>)).finish()),
    responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), DECODE_OPTIONS) as Response,
  };
}

let ads: ServiceDefinition | undefined;
let als: ServiceDefinition | undefined;
let csds: ServiceDefinition | undefined;

/** envoy.service.discovery.v3.AggregatedDiscoveryService, state of the world only (delta answers UNIMPLEMENTED). */
export function adsServiceDefinition(): ServiceDefinition {
  envoyProtoRoot();
  ads ??= {
    StreamAggregatedResources: method(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      'envoy.service.discovery.v3.DiscoveryRequest',
      'envoy.service.discovery.v3.DiscoveryResponse',
      true,
      true,
    ),
  };
  return ads;
}

/** A message of the access-log stream that could not be decoded: counted by the source, the stream goes on. */
export interface MalformedMessage {
  malformed: string;
}

/**
 * envoy.service.accesslog.v3.AccessLogService (Envoy's gRPC access-log sink). A message that does not decode is handed
 * over as `{ malformed }` instead of failing the stream: one bad message must not cost the entries after it.
 */
export function accessLogServiceDefinition(): ServiceDefinition {
  envoyProtoRoot();
  if (!als) {
    const base = method<Record<string, unknown> | MalformedMessage, Record<string, unknown>>(
      '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs',
      'envoy.service.accesslog.v3.StreamAccessLogsMessage',
      'envoy.service.accesslog.v3.StreamAccessLogsResponse',
      true,
      false,
    );
    const decode = base.requestDeserialize;
    als = {
      StreamAccessLogs: {
        ...base,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return decode(bytes);
          } catch (error) {
            return { malformed: (error as Error).message };
          }
        },
      },
    };
  }
  return als;
}

/** envoy.service.status.v3.ClientStatusDiscoveryService (what a gRPC client holds; used by tests and benchmarks). */
export function csdsServiceDefinition(): ServiceDefinition {
  envoyProtoRoot();
  csds ??= {
    FetchClientStatus: method(
      '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus',
      'envoy.service.status.v3.ClientStatusRequest',
      'envoy.service.status.v3.ClientStatusResponse',
      false,
      false,
    ),
  };
  return csds;
}
