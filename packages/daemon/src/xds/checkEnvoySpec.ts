import { SpecValidationError, type RolloutSpec } from '@sluice/core';
import type { XdsHost } from './xdsHost.js';

/**
 * What only the daemon can check about an envoy rollout when it is created (422, with every other problem of the
 * spec): that it runs an xDS server at all, and that the rollout's RouteConfiguration and resources fit beside those
 * of the rollouts it already serves.
 */
export function checkEnvoySpec(spec: RolloutSpec, xds: XdsHost | undefined): void {
  if (spec.adapter.type !== 'envoy') return;
  if (!xds) {
    throw new SpecValidationError(
      [{ path: 'adapter.type', message: 'the envoy adapter is served by the daemon\'s xDS server, and this daemon runs none: start it with --xds-listen HOST:PORT (docs/adapters/envoy.md)' }],
      'envoy adapter',
      'SLUICE_E_ADAPTER_OPTIONS',
    );
  }
  xds.checkSpec(spec);
}
