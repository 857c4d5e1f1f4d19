import { z } from 'zod';
import { retryPolicySchema } from '../retrySchema.js';

export const KUBERNETES_KINDS = ['HTTPRoute', 'VirtualService', 'Ingress'] as const;
export type KubernetesKind = (typeof KUBERNETES_KINDS)[number];

/** DNS-1123 label: namespaces. */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS-1123 label: lower-case letters, digits and "-", at most 63, e.g. "shop"');
/** DNS-1123 subdomain: object names, Service names. */
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", e.g. "checkout-canary"');
/** Istio destination hosts may be FQDNs or short names; the same character set. */
const hostName = dnsSubdomain;

export const kubernetesOptionsSchema = z
  .object({
    kind: z.enum(KUBERNETES_KINDS).describe('The object whose weights Sluice owns: a Gateway API HTTPRoute, an Istio VirtualService, or an ingress-nginx canary Ingress'),
    namespace: dnsLabel.optional().describe("Namespace of the object; default the kubeconfig context's namespace (in a cluster: the service account's), else \"default\""),
    name: dnsSubdomain.describe('Name of the object (for Ingress: the canary Ingress)'),
    stableBackend: hostName.optional().describe('backendRef name (HTTPRoute) or destination host (VirtualService) of the stable version; not for Ingress'),
    canaryBackend: hostName.optional().describe('backendRef name (HTTPRoute) or destination host (VirtualService) of the canary; not for Ingress'),
    rule: z.string().min(1).max(253).optional().describe('Name of the HTTPRoute rule or VirtualService http route Sluice owns; optional when exactly one names both backends'),
    kubeconfig: z.string().min(1).max(4_096).optional().describe('Path of a kubeconfig file; default $KUBECONFIG, then ~/.kube/config, then the in-cluster service account'),
    context: z.string().min(1).max(253).optional().describe("kubeconfig context to use; default the file's current-context"),
    requestTimeoutMs: z.int().min(100).max(120_000).default(5_000).describe('Time allowed for one API request'),
    verifyTimeoutMs: z.int().min(100).max(600_000).default(10_000).describe('Time allowed for every HTTPRoute parent to report Accepted at the new generation'),
    verifyIntervalMs: z.int().min(10).max(10_000).default(200).describe('Interval between reads while verifying, besides the watch'),
    retry: retryPolicySchema.describe('Retries of a read-modify-write after a 409 Conflict or a transient API error'),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.kind === 'Ingress') {
      for (const field of ['stableBackend', 'canaryBackend', 'rule'] as const) {
        if (options[field] !== undefined) context.addIssue({ code: 'custom', path: [field], message: `not used with kind Ingress (the canary Ingress routes to the canary; ingress-nginx sends the rest to the main Ingress); remove it` });
      }
      return;
    }
    const what = options.kind === 'HTTPRoute' ? 'backendRef name' : 'destination host';
    if (options.stableBackend === undefined) context.addIssue({ code: 'custom', path: ['stableBackend'], message: `is required for kind ${options.kind} (the stable version's ${what})` });
    if (options.canaryBackend === undefined) context.addIssue({ code: 'custom', path: ['canaryBackend'], message: `is required for kind ${options.kind} (the canary's ${what})` });
    if (options.stableBackend !== undefined && options.stableBackend === options.canaryBackend) context.addIssue({ code: 'custom', path: ['canaryBackend'], message: 'stableBackend and canaryBackend must differ' });
  });

export type KubernetesAdapterOptions = z.input<typeof kubernetesOptionsSchema>;
export type KubernetesOptions = z.output<typeof kubernetesOptionsSchema>;

/** The annotation holding the generation in force (read back as `WeightState.generation`). */
export const GENERATION_ANNOTATION = 'sluice.dev/generation';
