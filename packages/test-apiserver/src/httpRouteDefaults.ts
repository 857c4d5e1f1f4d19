import type { KubeObject } from './resourceTypes.js';

/**
 * The `default:` values of the Gateway API v1 HTTPRoute CRD (standard channel), applied to absent fields as the API
 * server's structural-schema defaulting does. The kubernetes-models schemas validate but do not default, so the
 * CRD's defaults are listed here: parentRefs' group/kind, a rule's match (PathPrefix "/"), header and query match
 * types (Exact), and a backendRef's group (""), kind (Service) and weight (1).
 */
export function applyHttpRouteDefaults(object: KubeObject): void {
  const spec = asRecord(object.spec);
  if (!spec) return;
  for (const parent of asRecords(spec.parentRefs)) {
    parent.group ??= 'gateway.networking.k8s.io';
    parent.kind ??= 'Gateway';
  }
  spec.rules ??= [{ matches: [defaultMatch()] }];
  for (const rule of asRecords(spec.rules)) {
    rule.matches ??= [defaultMatch()];
    for (const match of asRecords(rule.matches)) {
      match.path ??= defaultMatch().path;
      const path = asRecord(match.path);
      if (path) {
        path.type ??= 'PathPrefix';
        path.value ??= '/';
      }
      for (const header of asRecords(match.headers)) header.type ??= 'Exact';
      for (const query of asRecords(match.queryParams)) query.type ??= 'Exact';
    }
    for (const backend of asRecords(rule.backendRefs)) {
      backend.group ??= '';
      backend.kind ??= 'Service';
      backend.weight ??= 1;
    }
  }
}

function defaultMatch(): Record<string, unknown> {
  return { path: { type: 'PathPrefix', value: '/' } };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asRecord).filter((v): v is Record<string, unknown> => v !== undefined) : [];
}
