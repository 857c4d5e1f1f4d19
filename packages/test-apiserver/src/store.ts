import type { KubeObject, ResourceType } from './resourceTypes.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  resourceVersion: number;
  type: WatchEventType;
  resource: ResourceType;
  namespace: string;
  /** The object after the change (for DELETED, the last state with the deletion's resourceVersion). */
  object: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

/**
 * The objects, with one resourceVersion counter for all of them as etcd's revision (so a list's resourceVersion
 * orders every change of every kind), and a bounded history of changes for watches. A watch that asks for a
 * resourceVersion older than the history holds gets 410 Gone, as from a compacted etcd.
 */
export class ObjectStore {
  readonly #objects = new Map<string, KubeObject>();
  readonly #history: StoreEvent[] = [];
  readonly #historyMax: number;
  readonly #listeners = new Set<StoreListener>();
  #resourceVersion: number;
  /** The newest resourceVersion whose event was dropped from the history; a watch from before it is too old. */
  #compactedThrough: number;

  constructor(options: { historyMax: number; firstResourceVersion?: number }) {
    this.#historyMax = options.historyMax;
    this.#resourceVersion = options.firstResourceVersion ?? 1_000;
    this.#compactedThrough = this.#resourceVersion;
  }

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  get compactedThrough(): number {
    return this.#compactedThrough;
  }

  /** Takes the next resourceVersion (for a write about to be committed). */
  nextResourceVersion(): number {
    return this.#resourceVersion + 1;
  }

  get(resource: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const found = this.#objects.get(keyOf(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  list(resource: ResourceType, namespace: string | undefined): KubeObject[] {
    const prefix = namespace === undefined ? `${resource.plural}.${resource.group}/` : `${resource.plural}.${resource.group}/${namespace}/`;
    const items: KubeObject[] = [];
    for (const [key, object] of this.#objects) if (key.startsWith(prefix)) items.push(structuredClone(object));
    return items.sort((a, b) => compareNames(a, b));
  }

  /** Stores `object` (its metadata.resourceVersion already set to nextResourceVersion()) and tells the watchers. */
  commit(type: WatchEventType, resource: ResourceType, object: KubeObject): void {
    const metadata = object.metadata as { namespace: string; name: string; resourceVersion: string };
    const resourceVersion = Number(metadata.resourceVersion);
    if (resourceVersion !== this.#resourceVersion + 1) throw new Error(`store: commit with resourceVersion ${resourceVersion}, expected ${this.#resourceVersion + 1}`);
    this.#resourceVersion = resourceVersion;
    const key = keyOf(resource, metadata.namespace, metadata.name);
    const stored = structuredClone(object);
    if (type === 'DELETED') this.#objects.delete(key);
    else this.#objects.set(key, stored);
    const event: StoreEvent = { resourceVersion, type, resource, namespace: metadata.namespace, object: stored };
    this.#history.push(event);
    while (this.#history.length > this.#historyMax) this.#compactedThrough = this.#history.shift()!.resourceVersion;
    for (const listener of this.#listeners) listener(event);
  }

  /** Events after `resourceVersion`, oldest first; undefined when the history no longer reaches back that far. */
  eventsAfter(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.#compactedThrough) return undefined;
    const events: StoreEvent[] = [];
    for (const event of this.#history) if (event.resourceVersion > resourceVersion) events.push(event);
    return events;
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function keyOf(resource: ResourceType, namespace: string, name: string): string {
  return `${resource.plural}.${resource.group}/${namespace}/${name}`;
}

function compareNames(a: KubeObject, b: KubeObject): number {
  const ka = `${String(a.metadata?.namespace)}/${String(a.metadata?.name)}`;
  const kb = `${String(b.metadata?.namespace)}/${String(b.metadata?.name)}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
