import type { WeightState } from '@sluice/core';
import { GENERATION_ANNOTATION, type KubernetesOptions } from './kubernetesOptions.js';
import { generationOf, TargetError, type KubeObject, type PlannedWrite } from './weightedRules.js';

const PREFIX = 'nginx.ingress.kubernetes.io/';
export const CANARY_ANNOTATION = `${PREFIX}canary`;
export const CANARY_WEIGHT_ANNOTATION = `${PREFIX}canary-weight`;
export const CANARY_WEIGHT_TOTAL_ANNOTATION = `${PREFIX}canary-weight-total`;
/** Sluice writes weights in basis points, so 0.01% steps are exact. */
const WEIGHT_TOTAL = 10_000;

/**
 * ingress-nginx canary Ingress: the weight is `canary-weight` out of `canary-weight-total` (100 when absent). Sluice
 * writes `canary-weight` and `canary-weight-total: "10000"`; every other annotation — `canary-by-header`,
 * `canary-by-header-value`, `canary-by-header-pattern`, `canary-by-cookie` — stays as it is (flagger#1838 drops them).
 */
export function readIngressState(object: KubeObject, options: KubernetesOptions): WeightState {
  const annotations = checkCanary(object, options);
  const weight = parseWeight(annotations[CANARY_WEIGHT_ANNOTATION], CANARY_WEIGHT_ANNOTATION, 0, options);
  const total = parseWeight(annotations[CANARY_WEIGHT_TOTAL_ANNOTATION], CANARY_WEIGHT_TOTAL_ANNOTATION, 100, options);
  if (total <= 0) throw new TargetError(`Ingress ${options.namespace}/${options.name}: ${CANARY_WEIGHT_TOTAL_ANNOTATION} is 0; remove it or set it to "${WEIGHT_TOTAL}"`);
  return { weightPercent: Math.round((Math.min(weight, total) * 10_000) / total) / 100, generation: generationOf(object) };
}

/** A merge patch carrying metadata.resourceVersion (a stale one is 409), touching three annotations only. */
export function planIngressWrite(object: KubeObject, options: KubernetesOptions, want: WeightState): PlannedWrite | undefined {
  const annotations = checkCanary(object, options);
  const weight = String(Math.round(want.weightPercent * 100));
  const generation = String(want.generation);
  if (annotations[CANARY_WEIGHT_ANNOTATION] === weight && annotations[CANARY_WEIGHT_TOTAL_ANNOTATION] === String(WEIGHT_TOTAL) && annotations[GENERATION_ANNOTATION] === generation) return undefined;
  return {
    contentType: 'application/merge-patch+json',
    body: {
      metadata: {
        resourceVersion: object.metadata?.resourceVersion,
        annotations: { [CANARY_WEIGHT_ANNOTATION]: weight, [CANARY_WEIGHT_TOTAL_ANNOTATION]: String(WEIGHT_TOTAL), [GENERATION_ANNOTATION]: generation },
      },
    },
  };
}

function checkCanary(object: KubeObject, options: KubernetesOptions): Record<string, string> {
  const annotations = object.metadata?.annotations ?? {};
  if (annotations[CANARY_ANNOTATION] !== 'true') {
    throw new TargetError(
      `Ingress ${options.namespace}/${options.name} is not an ingress-nginx canary: its annotation ${CANARY_ANNOTATION} is ${annotations[CANARY_ANNOTATION] === undefined ? 'absent' : `"${annotations[CANARY_ANNOTATION]}"`}; name the canary Ingress in adapter.options.name, or set ${CANARY_ANNOTATION}: "true" on it`,
    );
  }
  return annotations;
}

function parseWeight(text: string | undefined, annotation: string, fallback: number, options: KubernetesOptions): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text.trim())) throw new TargetError(`Ingress ${options.namespace}/${options.name}: annotation ${annotation} is "${text}", not a whole number`);
  return Number(text.trim());
}
