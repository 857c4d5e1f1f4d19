// Public API of @sluice/adapters/kubernetes: the adapter (HTTPRoute, VirtualService, ingress-nginx canary Ingress),
// its option schema, the Istio whole-percent check, and the pieces tests and tools reuse.
export { createKubernetesAdapter } from './kubernetesAdapter.js';
export { kubernetesOptionsSchema, KUBERNETES_KINDS, GENERATION_ANNOTATION } from './kubernetesOptions.js';
export type { KubernetesAdapterOptions, KubernetesOptions, KubernetesKind } from './kubernetesOptions.js';
export { wholePercentIssues, checkWholePercents } from './stageWeights.js';
export type { WeightPlan } from './stageWeights.js';
export { acceptanceOf } from './httpRouteAcceptance.js';
export type { Acceptance } from './httpRouteAcceptance.js';
export { CANARY_ANNOTATION, CANARY_WEIGHT_ANNOTATION, CANARY_WEIGHT_TOTAL_ANNOTATION } from './ingressCanary.js';
export { RESOURCES, loadKubeConfig } from './kubeApi.js';
export type { ObjectRef } from './kubeApi.js';
export { KubeRequestError } from './kubeErrors.js';
