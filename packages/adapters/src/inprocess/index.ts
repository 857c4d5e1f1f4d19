// Public API of @sluice/adapters/inprocess: the weighted router a service embeds, the routing proxy, and the adapter.
export { createWeightedRouter, parseOverride, VARIANT_OVERRIDE_HEADER, SAMPLE_LISTENERS_MAX } from './weightedRouter.js';
export type { WeightedRouter, WeightedRouterOptions, RouteRequest, RouteDecision, SampleListener } from './weightedRouter.js';
export { startRoutingProxy } from './routingProxy.js';
export type { RoutingProxy, RoutingProxyOptions, ProxiedRequest } from './routingProxy.js';
export { ADMIN_WEIGHT_PATH, ADMIN_BODY_BYTES_MAX } from './adminApi.js';
export { createInprocessAdapter, inprocessOptionsSchema } from './inprocessAdapter.js';
export type { InprocessAdapterOptions } from './inprocessAdapter.js';
export { stickyBucket, fnv1a32 } from './stickyHash.js';
