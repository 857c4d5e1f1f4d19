import { RESOURCE_TYPES, type ResourceType } from './resourceTypes.js';

/** The version the server reports; kubectl only warns when its own minor version is far from it. */
export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-sluice-test', gitCommit: 'sluice-test-apiserver', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' };

const RESOURCE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/**
 * Legacy (unaggregated) discovery documents: `/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`. kubectl
 * asks for the aggregated form first (through Accept) and falls back to these when the answer is plain JSON.
 */
export function discoveryDocument(path: string, serverAddress: string): unknown {
  if (path === '/version') return SERVER_VERSION;
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  if (path === '/api/v1') return { kind: 'APIResourceList', groupVersion: 'v1', resources: [] };
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupDocument) };
  const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
  if (groupMatch) {
    const group = groups().find((g) => g.name === groupMatch[1]);
    return group ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(group) } : undefined;
  }
  const versionMatch = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (versionMatch) {
    const types = RESOURCE_TYPES.filter((t) => t.group === versionMatch[1] && t.version === versionMatch[2]);
    if (types.length === 0) return undefined;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${versionMatch[1]}/${versionMatch[2]}`, resources: types.flatMap(resourceEntries) };
  }
  return undefined;
}

/** Whether `path` is a discovery path (answered even when it names nothing: 404 then). */
export function isDiscoveryPath(path: string): boolean {
  return path === '/version' || path === '/api' || path === '/api/v1' || path === '/apis' || /^\/apis\/[^/]+(\/[^/]+)?$/.test(path);
}

interface Group {
  name: string;
  versions: string[];
}

function groups(): Group[] {
  const byName = new Map<string, Group>();
  for (const type of RESOURCE_TYPES) {
    const group = byName.get(type.group) ?? { name: type.group, versions: [] };
    if (!group.versions.includes(type.version)) group.versions.push(type.version);
    byName.set(type.group, group);
  }
  return [...byName.values()];
}

function groupDocument(group: Group): Record<string, unknown> {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

function resourceEntries(type: ResourceType): unknown[] {
  return [
    { name: type.plural, singularName: type.singular, namespaced: true, kind: type.kind, verbs: RESOURCE_VERBS, ...(type.shortNames.length ? { shortNames: type.shortNames } : {}), ...(type.categories.length ? { categories: type.categories } : {}) },
    { name: `${type.plural}/status`, singularName: '', namespaced: true, kind: type.kind, verbs: STATUS_VERBS },
  ];
}
