// @sluice/adapters/envoy/testing: what tests, examples and benchmarks of the xDS server share — a small gRPC service
// with backends, the resources and bootstrap a proxyless gRPC client needs, a CSDS reader, a hand-driven ADS client.
export { GREETER_SERVICE, startBackend, greeterResources, writeResourcesFile, bootstrapFor, greeterClient, greet, PER_CHANNEL_BOOTSTRAP_OPTION } from './xdsFixtures.js';
export type { Backend, GreetReply, GreeterClient } from './xdsFixtures.js';
export { startCsdsReader, weightsOf } from './csds.js';
export type { CsdsReader, HeldResource } from './csds.js';
export { rawAdsClient } from './rawAdsClient.js';
export type { RawAdsClient, RawResponse } from './rawAdsClient.js';
export { waitUntil } from './waitUntil.js';
/** Registers the `xds:` name scheme with grpc-js (and CSDS with its admin services): call once per process. */
export { register as registerXdsResolver } from '@grpc/grpc-js-xds';
export { alsClient } from './alsClient.js';
export type { AlsClient } from './alsClient.js';
