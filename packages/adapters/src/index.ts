// Public API of @sluice/adapters. Adapters themselves are also subpath exports (`@sluice/adapters/nginx`,
// `@sluice/adapters/inprocess`); this entry point is the registry the daemon uses and the helpers adapters share.
export { createAdapter, validateAdapterOptions, IMPLEMENTED_ADAPTER_TYPES } from './createAdapter.js';
export type { AdapterContext, AdapterLogger } from './createAdapter.js';
export { createNoneAdapter, noneOptionsSchema } from './none/noneAdapter.js';
export type { RecordingAdapter, NoneAdapterOptions } from './none/noneAdapter.js';
export { AdapterError, parseAdapterOptions } from './errors.js';
export type { OptionsLocation } from './errors.js';
export { retryWithBackoff, backoffDelayMs, sleepMs, DEFAULT_RETRY_POLICY } from './retry.js';
export type { BackoffPolicy, RetryPolicy, RetryHooks } from './retry.js';
export { retryPolicySchema } from './retrySchema.js';
export { LastKnownGood } from './lastKnownGood.js';
export { roundWeightPercent } from '@sluice/core';
