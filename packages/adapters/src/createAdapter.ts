import { ADAPTER_TYPES, SluiceError, type AdapterRef, type TrafficAdapter, type WeightState } from '@sluice/core';
import { createEnvoyAdapter, envoyRouteSpec } from './envoy/envoyAdapter.js';
import type { XdsControlPlane } from './envoy/xdsControlPlane.js';
import { createInprocessAdapter } from './inprocess/inprocessAdapter.js';
import { createKubernetesAdapter } from './kubernetes/kubernetesAdapter.js';
import { checkWholePercents, type WeightPlan } from './kubernetes/stageWeights.js';
import { createNginxAdapter } from './nginx/nginxAdapter.js';
import { createNoneAdapter } from './none/noneAdapter.js';

export interface AdapterLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface AdapterContext {
  /** Rollout the adapter serves; appears in its log lines. */
  rolloutId: string;
  logger?: AdapterLogger;
  /** The daemon's xDS control plane (`sluice daemon --xds-listen`), which the envoy adapter serves its route on. */
  xds?: XdsControlPlane;
  /** Weight and generation in force according to the log, for adapters that serve the state themselves (envoy). */
  inForce?: WeightState;
}

/** Adapter types this package implements; the other types the spec names (haproxy) are planned. */
export const IMPLEMENTED_ADAPTER_TYPES = ['none', 'inprocess', 'nginx', 'kubernetes', 'envoy'] as const;

/**
 * Creates the adapter a spec's `adapter` section names, validating its options. Throws SluiceError
 * SLUICE_E_ADAPTER_OPTIONS naming every bad option path and what is allowed, or naming the types that exist.
 */
export function createAdapter(ref: AdapterRef, context: AdapterContext): TrafficAdapter {
  const options = ref.options ?? {};
  switch (ref.type) {
    case 'none':
      return createNoneAdapter(options);
    case 'inprocess':
      return createInprocessAdapter(options);
    case 'nginx':
      return createNginxAdapter(options, context);
    case 'kubernetes':
      return createKubernetesAdapter(options, context);
    case 'envoy':
      return createEnvoyAdapter(options, context);
    default: {
      const known = (ADAPTER_TYPES as readonly string[]).includes(ref.type);
      throw new SluiceError(
        'SLUICE_E_ADAPTER_OPTIONS',
        `rollout "${context.rolloutId}": adapter type "${String(ref.type)}" ${known ? 'is planned but not implemented yet' : 'is unknown'}; ` +
          `use one of: ${IMPLEMENTED_ADAPTER_TYPES.join(', ')}`,
      );
    }
  }
}

/**
 * Checks a spec's `adapter` section without touching the traffic layer (constructing an adapter does no I/O), so the
 * daemon can refuse a rollout with bad adapter options when it is created rather than at its first apply.
 */
export function validateAdapterOptions(ref: AdapterRef, rolloutId: string, plan?: WeightPlan): void {
  // The envoy adapter needs the daemon's xDS server to exist; its options and resources file are checked without it.
  if (ref.type === 'envoy') void envoyRouteSpec(ref.options ?? {}, rolloutId);
  else void createAdapter(ref, { rolloutId });
  // Weights the traffic layer cannot represent are refused now, not at the stage that needs them (Istio: whole percents).
  if (ref.type === 'kubernetes' && plan) checkWholePercents((ref.options as { kind?: unknown } | undefined)?.kind, plan, rolloutId);
}
