import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { applyHttpRouteDefaults } from './httpRouteDefaults.js';
import type { StatusCause } from './status.js';

export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** A resource type the server serves: where it lives, how discovery names it, and how it is validated. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  /**
   * Served the way the apiextensions server serves a CRD: strategic merge patch is refused (415), and a PUT must carry
   * metadata.resourceVersion (422). Built-in kinds (Ingress) accept both.
   */
  custom: boolean;
  /** Fills in what the schema defaults (the CRD's `default:` values), before validation, as the real server does. */
  applyDefaults(object: KubeObject): void;
  /** Every problem at once, with the field path; empty when valid. */
  validate(object: KubeObject): StatusCause[];
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

interface Validatable {
  validate(): void;
}

/** Runs a kubernetes-models schema (ajv, generated from the upstream CRD / OpenAPI) and turns its errors into causes. */
function schemaCauses(model: Validatable, object: KubeObject): StatusCause[] {
  try {
    model.validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; keyword: string; message?: string; params?: Record<string, unknown> }[] }).errors;
    if (!Array.isArray(errors)) return [{ type: 'FieldValueInvalid', message: (error as Error).message, field: '' }];
    return errors.map((e) => {
      const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (e.keyword === 'required') {
        const missing = String(e.params?.missingProperty ?? '');
        return { type: 'FieldValueRequired', message: 'Required value', field: fieldPath([...segments, missing]) };
      }
      const value = valueAt(object, segments);
      return { type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${e.message ?? e.keyword}`, field: fieldPath(segments) };
    });
  }
}

/** `spec.rules[0].backendRefs[1].weight`, as Kubernetes writes field paths. */
export function fieldPath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) out += /^\d+$/.test(segment) ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

function valueAt(object: unknown, segments: readonly string[]): unknown {
  let at = object;
  for (const segment of segments) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What every object's metadata must satisfy (name, string maps), whatever its kind. */
export function metadataCauses(object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const metadata = object.metadata;
  const name = metadata?.name;
  if (typeof name !== 'string' || name === '') causes.push({ type: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({ type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`, field: 'metadata.name' });
  }
  for (const map of ['labels', 'annotations'] as const) {
    const value = metadata?.[map];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      causes.push({ type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: must be a map of strings`, field: `metadata.${map}` });
      continue;
    }
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry !== 'string') causes.push({ type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(entry)}: must be a string`, field: `metadata.${map}.${key}` });
    }
  }
  return causes;
}

export const HTTP_ROUTE: ResourceType = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  kind: 'HTTPRoute',
  listKind: 'HTTPRouteList',
  plural: 'httproutes',
  singular: 'httproute',
  shortNames: [],
  categories: ['gateway-api'],
  custom: true,
  applyDefaults: applyHttpRouteDefaults,
  validate: (object) => schemaCauses(new HTTPRoute(object as ConstructorParameters<typeof HTTPRoute>[0]), object),
};

export const VIRTUAL_SERVICE: ResourceType = {
  group: 'networking.istio.io',
  version: 'v1',
  kind: 'VirtualService',
  listKind: 'VirtualServiceList',
  plural: 'virtualservices',
  singular: 'virtualservice',
  shortNames: ['vs'],
  categories: ['istio-io', 'networking-istio-io'],
  custom: true,
  applyDefaults: () => undefined,
  validate: (object) => schemaCauses(new VirtualService(object as ConstructorParameters<typeof VirtualService>[0]), object),
};

export const INGRESS: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  listKind: 'IngressList',
  plural: 'ingresses',
  singular: 'ingress',
  shortNames: ['ing'],
  categories: [],
  custom: false,
  applyDefaults: () => undefined,
  validate: (object) => schemaCauses(new Ingress(object as ConstructorParameters<typeof Ingress>[0]), object),
};

/** The kinds the server knows from the start. */
export const RESOURCE_TYPES: readonly ResourceType[] = [HTTP_ROUTE, VIRTUAL_SERVICE, INGRESS];
