// Public API of @sluice/adapters/envoy: the adapter, the xDS control plane it drives, the gRPC server that carries it,
// the resources-file reader, and the access-log pieces the daemon's Envoy sample sources use.
export { createEnvoyAdapter, envoyRouteSpec } from './envoyAdapter.js';
export type { EnvoyAdapterContext } from './envoyAdapter.js';
export { envoyOptionsSchema } from './envoyOptions.js';
export type { EnvoyAdapterOptions, EnvoyOptions } from './envoyOptions.js';
export { XdsControlPlane, AckWaitError, STREAMS_MAX } from './xdsControlPlane.js';
export type { AckExpectation, AckCheck, ClientStatus, RouteOwnerSpec } from './xdsControlPlane.js';
export { startGrpcServer, GRPC_MESSAGE_BYTES_MAX } from './grpcServer.js';
export type { GrpcServerHandle, GrpcTls } from './grpcServer.js';
export type { Server as GrpcServer } from '@grpc/grpc-js';
export { readResourcesFile, parseResources, RESOURCES_FILE_BYTES_MAX, RESOURCES_MAX } from './resourcesFile.js';
export type { ResourceSet, XdsResource, ClusterInfo } from './resourcesFile.js';
export { renderRouteConfiguration, basisPoints, TOTAL_WEIGHT } from './routeConfiguration.js';
export type { RouteTarget } from './routeConfiguration.js';
export { adsServiceDefinition, accessLogServiceDefinition, csdsServiceDefinition } from './xdsServices.js';
export type { MalformedMessage } from './xdsServices.js';
export {
  envoyAccessLogOptionsSchema,
  parseEnvoyAccessLogOptions,
  parseEnvoyJsonLine,
  httpEntryToSample,
  createEnvoyAccessLogTail,
  classifyCluster,
  GRPC_SERVER_FAILURES,
  SLUICE_ENVOY_JSON_FORMAT,
  ENVOY_ACCESS_LOG_LOCATION,
} from './envoyAccessLog.js';
export type { EnvoyAccessLogConfig, EnvoyAccessLogMapping, EnvoyAccessLogOptionsInput } from './envoyAccessLog.js';
export type { AccessLogTail, AccessLogStats } from '../tail/accessLogTail.js';
export { envoyProtoRoot, messageType, encodeMessage, decodeMessage, LDS_TYPE_URL, RDS_TYPE_URL, CDS_TYPE_URL, EDS_TYPE_URL } from './protoRoot.js';
export type { XdsTypeUrl } from './protoRoot.js';
