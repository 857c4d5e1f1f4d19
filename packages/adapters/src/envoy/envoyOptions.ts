import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** xDS resource names: what Envoy and gRPC accept in practice, bounded. */
const resourceName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._:/-]{0,199}$/, 'letters, digits and "._:/-", at most 200 characters, e.g. "greeter-route"');
const nodeId = z.string().min(1).max(256);
const domain = z.string().regex(/^(\*|\*?[A-Za-z0-9.-]{1,253}\*?)(:\d{1,5})?$/, 'a host name, "*", or a host with one leading or trailing "*"');

export const envoyOptionsSchema = z
  .object({
    routeConfiguration: resourceName.describe('Name of the RouteConfiguration this rollout owns on the xDS server'),
    stableCluster: resourceName.describe('Cluster of the stable version'),
    canaryCluster: resourceName.describe('Cluster of the candidate version'),
    resourcesFile: z
      .string()
      .min(2)
      .max(4_096)
      .refine(isAbsolute, 'must be an absolute path')
      .optional()
      .describe('YAML or JSON file of Listener / Cluster / ClusterLoadAssignment (and template RouteConfiguration) resources in Envoy v3 JSON, each with its @type; read at creation and at every apply'),
    nodes: z.array(nodeId).min(1).max(1_000).optional().describe('Node ids that must all ACK a version before it counts as applied'),
    clientsMin: z.int().min(1).max(10_000).optional().describe('How many connected clients subscribed to the route must ACK (default 1 when nodes is not given); every subscribed client must ACK'),
    domains: z.array(domain).min(1).max(64).default(['*']).describe('Virtual host domains of the generated RouteConfiguration (unused with a template)'),
    verifyTimeoutMs: z.int().min(100).max(600_000).default(10_000).describe('How long apply waits for the ACKs before it fails naming the clients that did not ACK'),
  })
  .strict()
  .refine((o) => o.stableCluster !== o.canaryCluster, { message: 'stableCluster and canaryCluster must differ', path: ['canaryCluster'] })
  .refine((o) => o.nodes === undefined || o.clientsMin === undefined, { message: 'give either nodes (ids that must ACK) or clientsMin (how many must ACK), not both', path: ['clientsMin'] });

export type EnvoyAdapterOptions = z.input<typeof envoyOptionsSchema>;
export type EnvoyOptions = z.output<typeof envoyOptionsSchema>;
