import { RESOURCE_TYPES, type ResourceType } from './resourceTypes.js';

/** What a resource URL names, and the RBAC verb of the request. */
export interface ResourceRequest {
  resource: ResourceType;
  /** Undefined for a list or watch across all namespaces. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | undefined;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
}

export type ParsedPath = { kind: 'resource'; request: ResourceRequest } | { kind: 'unknown' } | { kind: 'badSubresource'; subresource: string };

/**
 * Parses `/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/status]]` (and the legacy `/apis/GROUP/VERSION/watch/…` form)
 * for the kinds the server serves.
 */
export function parseResourcePath(method: string, pathname: string, query: URLSearchParams): ParsedPath {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] !== 'apis' || parts.length < 4) return { kind: 'unknown' };
  const [, group, version] = parts as [string, string, string];
  let rest = parts.slice(3);
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const resource = RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
  if (!resource || extra.length > 0) return { kind: 'unknown' };
  if (subresource !== undefined && subresource !== 'status') return { kind: 'badSubresource', subresource };
  if (name !== undefined && namespace === undefined) return { kind: 'unknown' }; // every kind here is namespaced
  const watch = legacyWatch || query.get('watch') === '1' || query.get('watch') === 'true';
  const verb = verbOf(method, name !== undefined, watch);
  return { kind: 'resource', request: { resource, namespace, name, subresource: subresource === 'status' ? 'status' : undefined, verb } };
}

function verbOf(method: string, item: boolean, watch: boolean): ResourceRequest['verb'] {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : item ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return item ? 'delete' : 'deletecollection';
    default:
      return 'get';
  }
}
