import { SpecValidationError, type RolloutSpec, type ValidationIssue } from '@sluice/core';
import { validateEnvoyAccessLogSource } from '../sources/envoyAccessLogSource.js';
import type { XdsHost } from './xdsHost.js';

/**
 * What only the daemon can check about a rollout that uses Envoy when it is created (422, with every other problem of
 * the spec): that it runs an xDS server for the envoy adapter and for the gRPC access-log source, that the rollout's
 * RouteConfiguration and resources fit beside those of the rollouts it already serves, and the access-log source's
 * options. Every problem at once.
 */
export function checkEnvoySpec(spec: RolloutSpec, xds: XdsHost | undefined): void {
  const issues: ValidationIssue[] = [];
  const collect = (check: () => void): void => {
    try {
      check();
    } catch (error) {
      if (error instanceof SpecValidationError) issues.push(...error.issues);
      else issues.push({ path: 'adapter.options', message: (error as Error).message });
    }
  };
  if (spec.adapter.type === 'envoy') {
    if (!xds) {
      issues.push({ path: 'adapter.type', message: 'the envoy adapter is served by the daemon\'s xDS server, and this daemon runs none: start it with --xds-listen HOST:PORT (docs/adapters/envoy.md)' });
    } else collect(() => xds.checkSpec(spec));
  }
  collect(() => validateEnvoyAccessLogSource(spec, xds !== undefined));
  if (issues.length > 0) throw new SpecValidationError(issues, 'Envoy settings', 'SLUICE_E_ADAPTER_OPTIONS');
}
