/**
 * The RouteConfiguration a rollout owns: `weighted_clusters` {stable, canary} in basis points (sum 10,000, so every
 * 0.01% step of a Sluice weight is exact; a zero weight is valid and keeps the cluster referenced, which makes the
 * proxyless gRPC client subscribe to it before any traffic goes there). `total_weight` is set to 10,000 as well:
 * Envoy before 1.25 defaults it to 100 and would reject the sum otherwise; later versions and gRPC ignore it.
 */
export const TOTAL_WEIGHT = 10_000;

export interface RouteTarget {
  /** RouteConfiguration name. */
  name: string;
  stableCluster: string;
  canaryCluster: string;
  /** Virtual host domains of the generated configuration (when there is no template). */
  domains: readonly string[];
  /**
   * The operator's RouteConfiguration of the same name from the resources file, if any: Sluice keeps everything in it
   * and rewrites only the actions of routes that go to the stable or canary cluster.
   */
  template?: Record<string, unknown>;
}

/** Canary and stable shares in basis points for a weight in percent (two decimals). */
export function basisPoints(weightPercent: number): { canary: number; stable: number } {
  const canary = Math.round(Math.min(100, Math.max(0, weightPercent)) * 100);
  return { canary, stable: TOTAL_WEIGHT - canary };
}

function weightedClusters(target: RouteTarget, weightPercent: number, previous?: Record<string, unknown>): Record<string, unknown> {
  const { canary, stable } = basisPoints(weightPercent);
  const entries = ((previous?.clusters as Record<string, unknown>[] | undefined) ?? []).filter((c) => c.name === target.stableCluster || c.name === target.canaryCluster);
  const entry = (name: string, weight: number): Record<string, unknown> => ({ ...(entries.find((c) => c.name === name) ?? {}), name, weight: { value: weight } });
  return { clusters: [entry(target.stableCluster, stable), entry(target.canaryCluster, canary)], total_weight: { value: TOTAL_WEIGHT } };
}

/** Whether a route action sends traffic to the rollout's clusters (and only to them), so Sluice owns its split. */
function isRolloutAction(action: Record<string, unknown>, target: RouteTarget): boolean {
  if (action.cluster === target.stableCluster || action.cluster === target.canaryCluster) return true;
  const clusters = (action.weighted_clusters as { clusters?: { name?: string }[] } | undefined)?.clusters;
  return Array.isArray(clusters) && clusters.length > 0 && clusters.every((c) => c.name === target.stableCluster || c.name === target.canaryCluster);
}

/** Routes of a template whose action Sluice rewrites; zero means the template cannot be used. */
export function countRolloutRoutes(target: RouteTarget): number {
  let count = 0;
  for (const host of (target.template?.virtual_hosts as Record<string, unknown>[] | undefined) ?? []) {
    for (const route of (host.routes as Record<string, unknown>[] | undefined) ?? []) {
      const action = route.route as Record<string, unknown> | undefined;
      if (action && isRolloutAction(action, target)) count++;
    }
  }
  return count;
}

/** The RouteConfiguration (protobufjs plain object, snake_case) that serves `weightPercent` to the canary. */
export function renderRouteConfiguration(target: RouteTarget, weightPercent: number): Record<string, unknown> {
  if (!target.template) {
    return {
      name: target.name,
      virtual_hosts: [{ name: target.name, domains: [...target.domains], routes: [{ match: { prefix: '' }, route: { weighted_clusters: weightedClusters(target, weightPercent) } }] }],
    };
  }
  const template = structuredClone(target.template);
  for (const host of (template.virtual_hosts as Record<string, unknown>[] | undefined) ?? []) {
    for (const route of (host.routes as Record<string, unknown>[] | undefined) ?? []) {
      const action = route.route as Record<string, unknown> | undefined;
      if (!action || !isRolloutAction(action, target)) continue;
      const previous = action.weighted_clusters as Record<string, unknown> | undefined;
      delete action.cluster;
      action.weighted_clusters = weightedClusters(target, weightPercent, previous);
    }
  }
  template.name = target.name;
  return template;
}
