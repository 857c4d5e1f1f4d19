import type { ServerResponse } from 'node:http';
import { apiVersionOf, type KubeObject, type ResourceType } from './resourceTypes.js';
import type { ObjectFilter } from './selectors.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { statusErrors } from './status.js';

/** A watch whose client reads slower than this many buffered bytes is ended; the client re-watches from its last event. */
const WATCH_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
/** Longest watch; the client re-watches from its last resourceVersion, as after a real server's timeout. */
const WATCH_SECONDS_MAX = 1_800;
const BOOKMARK_INTERVAL_MS = 10_000;

export interface WatchRequest {
  resource: ResourceType;
  namespace: string | undefined;
  resourceVersion: string | null;
  timeoutSeconds: number | undefined;
  allowBookmarks: boolean;
  matches: ObjectFilter;
}

/**
 * Serves one watch as the API server does: newline-delimited `{type, object}` events. Without a resourceVersion (or
 * "0") it starts with an ADDED event per current object; from resourceVersion N it sends every change after N, or,
 * when N is older than the kept history, one ERROR event carrying a 410 Expired Status and ends (the client relists).
 * Returns a function that ends the watch.
 */
export function serveWatch(store: ObjectStore, request: WatchRequest, response: ServerResponse): () => void {
  const pending: StoreEvent[] = [];
  let lastSent = 0;
  let live = false;
  let ended = false;
  const relevant = (event: StoreEvent): boolean => event.resource === request.resource && (request.namespace === undefined || event.namespace === request.namespace);
  // Subscribe before reading the history, so that nothing committed in between is missed.
  const unsubscribe = store.subscribe((event) => {
    if (!relevant(event)) return;
    if (live) send(event.type, event.object, event.resourceVersion);
    else pending.push(event);
  });
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearTimeout(timeout);
    clearInterval(bookmarks);
    response.end();
  };
  const timeoutSeconds = Math.min(request.timeoutSeconds ?? WATCH_SECONDS_MAX, WATCH_SECONDS_MAX);
  const timeout = setTimeout(end, timeoutSeconds * 1000);
  const bookmarks = setInterval(() => {
    if (!request.allowBookmarks) return;
    write({ type: 'BOOKMARK', object: { apiVersion: apiVersionOf(request.resource), kind: request.resource.kind, metadata: { resourceVersion: String(store.resourceVersion) } } });
  }, BOOKMARK_INTERVAL_MS);
  response.on('close', end);

  function write(event: unknown): void {
    if (ended) return;
    response.write(`${JSON.stringify(event)}\n`);
    if (response.writableLength > WATCH_BUFFER_BYTES_MAX) end();
  }

  function send(type: string, object: KubeObject, resourceVersion: number): void {
    if (resourceVersion <= lastSent || !request.matches(object)) return;
    lastSent = resourceVersion;
    write({ type, object: { apiVersion: apiVersionOf(request.resource), kind: request.resource.kind, ...object } });
  }

  response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  const from = request.resourceVersion;
  if (from === null || from === '' || from === '0') {
    const at = store.resourceVersion;
    for (const object of store.list(request.resource, request.namespace)) {
      if (request.matches(object)) write({ type: 'ADDED', object: { apiVersion: apiVersionOf(request.resource), kind: request.resource.kind, ...object } });
    }
    lastSent = at;
  } else {
    const since = Number(from);
    const history = Number.isSafeInteger(since) && since >= 0 ? store.eventsAfter(since) : undefined;
    if (!history) {
      const expired = Number.isSafeInteger(since) ? statusErrors.gone(`too old resource version: ${from} (${store.compactedThrough})`) : statusErrors.badRequest(`invalid resourceVersion "${from}"`);
      write({ type: 'ERROR', object: expired.status });
      end();
      return end;
    }
    lastSent = since;
    for (const event of history) if (relevant(event)) send(event.type, event.object, event.resourceVersion);
  }
  for (const event of pending) send(event.type, event.object, event.resourceVersion);
  pending.length = 0;
  live = true;
  return end;
}
