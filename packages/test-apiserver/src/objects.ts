import { randomUUID } from 'node:crypto';
import { applyPatchBody } from './patch.js';
import { apiVersionOf, metadataCauses, type KubeObject, type ResourceType } from './resourceTypes.js';
import type { ObjectStore } from './store.js';
import { statusErrors } from './status.js';

export type Subresource = 'status' | undefined;

/** Options of one write, from the query string. */
export interface WriteOptions {
  /** `dryRun=All`: everything but the commit. */
  dryRun: boolean;
}

/**
 * Create, replace, patch and delete with the API server's rules: server-managed metadata (uid, resourceVersion,
 * generation, creationTimestamp), optimistic concurrency, `generation` bumped on spec changes only, the `status`
 * subresource kept apart from the main resource, schema defaults and validation (422 with every cause), and no write
 * at all when an update changes nothing.
 */
export class ObjectOperations {
  readonly #store: ObjectStore;
  readonly #now: () => Date;

  constructor(store: ObjectStore, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#now = now;
  }

  get(resource: ResourceType, namespace: string, name: string): KubeObject {
    const found = this.#store.get(resource, namespace, name);
    if (!found) throw statusErrors.notFound(resource, name);
    return found;
  }

  create(resource: ResourceType, namespace: string, body: unknown, options: WriteOptions): KubeObject {
    const object = checkBody(resource, body);
    const metadata = (object.metadata ??= {});
    if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw statusErrors.badRequest(`the namespace of the provided object (${String(metadata.namespace)}) does not match the namespace sent on the request (${namespace})`);
    }
    if ((metadata.name === undefined || metadata.name === '') && typeof metadata.generateName === 'string') metadata.name = `${metadata.generateName}${randomUUID().slice(0, 5)}`;
    const name = String(metadata.name ?? '');
    if (name !== '' && this.#store.get(resource, namespace, name)) throw statusErrors.alreadyExists(resource, name);
    // Status is written through /status only; a create starts without one (as for CRDs with the status subresource).
    delete object.status;
    const resourceVersion = this.#store.nextResourceVersion();
    object.metadata = {
      ...withoutServerFields(metadata),
      namespace,
      uid: randomUUID(),
      resourceVersion: String(resourceVersion),
      generation: 1,
      creationTimestamp: timestamp(this.#now()),
    };
    admit(resource, object);
    if (!options.dryRun) this.#store.commit('ADDED', resource, object);
    return object;
  }

  /** PUT. A custom resource needs metadata.resourceVersion (422 without, as the apiextensions server); a stale one is 409. */
  replace(resource: ResourceType, namespace: string, name: string, body: unknown, subresource: Subresource, options: WriteOptions): KubeObject {
    const next = checkBody(resource, body);
    const resourceVersion = next.metadata?.resourceVersion;
    if (resource.custom && subresource === undefined && (resourceVersion === undefined || resourceVersion === '')) {
      throw statusErrors.invalid(resource, name, [{ type: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    }
    const current = this.get(resource, namespace, name);
    return this.#update(resource, current, next, subresource, options);
  }

  patch(resource: ResourceType, namespace: string, name: string, contentType: string, body: string, subresource: Subresource, options: WriteOptions): KubeObject {
    const current = this.get(resource, namespace, name);
    const next = applyPatchBody(resource, contentType, current, body);
    return this.#update(resource, current, next, subresource, options);
  }

  delete(resource: ResourceType, namespace: string, name: string, preconditions: { resourceVersion?: string; uid?: string }, options: WriteOptions): KubeObject {
    const current = this.get(resource, namespace, name);
    const metadata = current.metadata as Record<string, unknown>;
    if (preconditions.uid !== undefined && preconditions.uid !== metadata.uid) throw statusErrors.conflict(resource, name);
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== metadata.resourceVersion) throw statusErrors.conflict(resource, name);
    if (options.dryRun) return current;
    metadata.resourceVersion = String(this.#store.nextResourceVersion());
    this.#store.commit('DELETED', resource, current);
    return current;
  }

  #update(resource: ResourceType, current: KubeObject, proposed: KubeObject, subresource: Subresource, options: WriteOptions): KubeObject {
    const currentMetadata = current.metadata as Record<string, unknown>;
    const name = String(currentMetadata.name);
    const metadata = (proposed.metadata ??= {});
    if (metadata.name !== undefined && metadata.name !== name) throw statusErrors.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`);
    if (metadata.namespace !== undefined && metadata.namespace !== currentMetadata.namespace) {
      throw statusErrors.badRequest(`the namespace of the provided object (${String(metadata.namespace)}) does not match the namespace sent on the request (${String(currentMetadata.namespace)})`);
    }
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== '' && metadata.resourceVersion !== currentMetadata.resourceVersion) throw statusErrors.conflict(resource, name);
    if (metadata.uid !== undefined && metadata.uid !== '' && metadata.uid !== currentMetadata.uid) {
      throw statusErrors.conflict(resource, name);
    }
    // The main resource ignores status; /status changes status only (metadata and spec stay as stored).
    let next: KubeObject;
    if (subresource === 'status') {
      next = structuredClone(current);
      if (proposed.status === undefined) delete next.status;
      else next.status = proposed.status;
    } else {
      const { status: _ignored, ...rest } = proposed;
      next = {
        ...rest,
        metadata: {
          ...withoutServerFields(metadata),
          namespace: currentMetadata.namespace,
          uid: currentMetadata.uid,
          creationTimestamp: currentMetadata.creationTimestamp,
          generation: currentMetadata.generation,
          resourceVersion: currentMetadata.resourceVersion,
        },
      };
      if (current.status !== undefined) next.status = current.status;
    }
    admit(resource, next);
    if (canonical(next) === canonical(current)) return current;
    if (canonical(specOf(next)) !== canonical(specOf(current))) (next.metadata as Record<string, unknown>).generation = Number(currentMetadata.generation ?? 1) + 1;
    if (options.dryRun) return next;
    (next.metadata as Record<string, unknown>).resourceVersion = String(this.#store.nextResourceVersion());
    this.#store.commit('MODIFIED', resource, next);
    return next;
  }
}

function checkBody(resource: ResourceType, body: unknown): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw statusErrors.badRequest(`the body of the request must be a ${resource.kind} object`);
  const object = structuredClone(body) as KubeObject;
  const expected = apiVersionOf(resource);
  if (object.apiVersion !== undefined && object.apiVersion !== expected) throw statusErrors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`);
  if (object.kind !== undefined && object.kind !== resource.kind) throw statusErrors.badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${resource.kind})`);
  if (object.metadata !== undefined && (object.metadata === null || typeof object.metadata !== 'object' || Array.isArray(object.metadata))) throw statusErrors.badRequest('metadata must be an object');
  object.apiVersion = expected;
  object.kind = resource.kind;
  return object;
}

/** Defaults, then every cause at once: metadata rules and the kind's schema. */
function admit(resource: ResourceType, object: KubeObject): void {
  resource.applyDefaults(object);
  const causes = [...metadataCauses(object), ...resource.validate(object)];
  if (causes.length > 0) throw statusErrors.invalid(resource, String(object.metadata?.name ?? ''), causes);
}

/** Metadata fields only the server sets; what a client sends for them is replaced. */
function withoutServerFields(metadata: Record<string, unknown>): Record<string, unknown> {
  const { uid: _uid, resourceVersion: _rv, generation: _generation, creationTimestamp: _created, managedFields: _managed, selfLink: _self, ...rest } = metadata;
  return rest;
}

/** What `generation` tracks: everything but metadata and status. */
function specOf(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** JSON with sorted keys, to compare two objects whatever the order their keys were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
