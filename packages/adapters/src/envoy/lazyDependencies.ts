import { createRequire } from 'node:module';

/**
 * @grpc/grpc-js and protobufjs, required when first used rather than when this package is imported. Importing
 * `@sluice/adapters` (every daemon does, for the adapter registry and the access-log sources) must not cost what only
 * an xDS server or an envoy rollout needs: gRPC alone is ~65 modules and ~75 ms of a daemon's start on a 2-core machine
 * (docs/startup.md). Both packages are CommonJS, so `require` loads them synchronously and the callers keep their
 * synchronous signatures (validating an envoy spec, encoding a message). `require` and `import` of a CommonJS package
 * share Node's module cache: this is the same instance a test or a caller that imports the package gets.
 */
const require = createRequire(import.meta.url);

export type GrpcJs = typeof import('@grpc/grpc-js');
export type ProtobufJs = typeof import('protobufjs');

let grpc: GrpcJs | undefined;
let protobuf: ProtobufJs | undefined;

/** @grpc/grpc-js, loaded at the first call (an xDS server starting, a stream ending with a status). */
export function grpcJs(): GrpcJs {
  grpc ??= require('@grpc/grpc-js') as GrpcJs;
  return grpc;
}

/** protobufjs, loaded at the first call (the Envoy protos loading, a resources file being read). */
export function protobufJs(): ProtobufJs {
  protobuf ??= require('protobufjs') as ProtobufJs;
  return protobuf;
}
