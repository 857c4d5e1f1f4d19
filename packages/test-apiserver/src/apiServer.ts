import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discoveryDocument, isDiscoveryPath } from './discovery.js';
import { DEFAULT_FAULTS, mergeFaults, type Faults } from './faults.js';
import { GatewayController } from './gatewayController.js';
import { kubeconfigFor } from './kubeconfig.js';
import { ObjectOperations } from './objects.js';
import { openApiV2 } from './openapi.js';
import { isAllowed, type PolicyRule } from './rbac.js';
import { parseResourcePath, type ResourceRequest } from './requestInfo.js';
import { apiVersionOf } from './resourceTypes.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ObjectStore } from './store.js';
import { ApiStatusError, statusErrors } from './status.js';
import { serveWatch } from './watch.js';

/** The request body limit of the real API server (3 MiB). */
export const BODY_BYTES_MAX = 3 * 1024 * 1024;
/** Paths of the server's own test controls (faults, the request record); never part of the Kubernetes API. */
export const ADMIN_PREFIX = '/sluice-test/v1';
/** Requests kept in the record; older ones are dropped first. */
const RECORDED_REQUESTS_MAX = 10_000;

export interface TestApiServerOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (an ephemeral port). */
  port?: number;
  /**
   * Bearer token every request must carry (written into the kubeconfig); default none: the server is on loopback, and
   * kubectl (client-go) does not send a bearer token to a plain-http server, so a server with a token serves
   * client-node only.
   */
  token?: string;
  /** User name the token authenticates as (in 403 messages); default `system:serviceaccount:default:sluice`. */
  user?: string;
  /** Changes kept for watches; a watch from an older resourceVersion gets 410 Gone. Default 1000. */
  watchHistoryMax?: number;
  /** Watches open at once; more answer 429. Default 256. */
  watchesMax?: number;
  /** Initial faults (see Faults). */
  faults?: Partial<Omit<Faults, 'controller'>> & { controller?: Partial<Faults['controller']> };
  /** RBAC rules of the token's user (a Role bound to it); default none, i.e. everything is allowed. */
  rules?: PolicyRule[];
}

/** One API request as the server saw it (the record tests compare with a Role). */
export interface RecordedRequest {
  verb: ResourceRequest['verb'];
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Content-Type of a write. */
  contentType?: string;
  code: number;
  userAgent?: string;
}

/** Called before a resource request is handled; a test makes a concurrent change here (a 409 between read and write). */
export type RequestHook = (request: RecordedRequest) => void | Promise<void>;

export interface TestApiServer {
  readonly url: string;
  readonly port: number;
  readonly token: string | undefined;
  /** A kubeconfig (JSON, which is YAML) for this server, with the token and context `sluice-test`. */
  kubeconfig(namespace?: string): string;
  /** Every resource request so far (bounded), oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  faults(): Faults;
  setFaults(update: unknown): Faults;
  setRules(rules: PolicyRule[] | undefined): void;
  /** Registers a hook run before each resource request; returns its removal. */
  onRequest(hook: RequestHook): () => void;
  readonly store: ObjectStore;
  readonly operations: ObjectOperations;
  close(): Promise<void>;
}

/**
 * Starts the strict test API server on loopback: HTTPRoute, VirtualService and Ingress, one global resourceVersion,
 * Status bodies, conditional writes, patch types by Content-Type, watches with 410, discovery for kubectl, schema
 * validation with defaults, and a gateway controller that writes HTTPRoute status (with fault knobs).
 */
export async function startTestApiServer(options: TestApiServerOptions = {}): Promise<TestApiServer> {
  const token = options.token;
  const user = options.user ?? 'system:serviceaccount:default:sluice';
  const store = new ObjectStore({ historyMax: options.watchHistoryMax ?? 1_000 });
  const operations = new ObjectOperations(store);
  let faults = mergeFaults(DEFAULT_FAULTS, options.faults ?? {});
  let rules = options.rules;
  const recorded: RecordedRequest[] = [];
  const hooks = new Set<RequestHook>();
  const watches = new Set<() => void>();
  const watchesMax = options.watchesMax ?? 256;
  const controller = new GatewayController(store, operations, () => faults.controller);
  let serverAddress = '';

  const server: Server = createServer({ requestTimeout: 0, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof ApiStatusError ? error : statusErrors.internal((error as Error).message);
      if (!response.headersSent) sendJson(response, status.code, status.status);
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (token !== undefined && !isAuthorized(request.headers.authorization, token)) throw statusErrors.unauthorized();
    if (url.pathname.startsWith(`${ADMIN_PREFIX}/`)) return handleAdmin(method, url.pathname, request, response);
    if (faults.responseDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.responseDelayMs));
    if (method === 'GET' && isDiscoveryPath(url.pathname)) {
      const document = discoveryDocument(url.pathname, serverAddress);
      if (document === undefined) throw statusErrors.noResource();
      return void sendJson(response, 200, document);
    }
    if (method === 'GET' && url.pathname === '/openapi/v2') {
      const document = openApiV2(request.headers.accept);
      response.writeHead(200, { 'content-type': document.contentType, 'content-length': document.body.length });
      return void response.end(document.body);
    }
    const parsed = parseResourcePath(method, url.pathname, url.searchParams);
    if (parsed.kind === 'badSubresource') throw statusErrors.noResource();
    if (parsed.kind === 'unknown') throw statusErrors.noResource();
    const target = parsed.request;
    const nameFromSelector = /(?:^|,)\s*metadata\.name\s*==?\s*([^,\s]+)/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
    const record: RecordedRequest = {
      verb: target.verb,
      group: target.resource.group,
      resource: target.resource.plural,
      ...(target.subresource ? { subresource: target.subresource } : {}),
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      ...(target.name !== undefined ? { name: target.name } : {}),
      ...(['create', 'update', 'patch'].includes(target.verb) && request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
      code: 0,
      ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
    };
    recorded.push(record);
    if (recorded.length > RECORDED_REQUESTS_MAX) recorded.splice(0, recorded.length - RECORDED_REQUESTS_MAX);
    try {
      const attributes = { verb: target.verb, group: target.resource.group, resource: target.resource.plural, namespace: target.namespace ?? '', ...(target.subresource ? { subresource: target.subresource } : {}) };
      const name = target.name ?? nameFromSelector;
      if (rules && !isAllowed(rules, { ...attributes, ...(name !== undefined ? { name } : {}) })) {
        throw statusErrors.forbidden(user, target.verb, target.resource, target.namespace ?? '', target.name, target.subresource);
      }
      for (const hook of hooks) await hook(record);
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(request) : '';
      if (faults.serverErrors > 0) {
        faults.serverErrors--;
        throw statusErrors.internal('injected by sluice-test-apiserver (serverErrors fault)');
      }
      if (faults.conflicts > 0 && ['create', 'update', 'patch', 'delete'].includes(target.verb)) {
        faults.conflicts--;
        throw statusErrors.conflict(target.resource, target.name ?? '');
      }
      const code = await dispatch(target, url.searchParams, request, response, body);
      record.code = code;
    } catch (error) {
      record.code = error instanceof ApiStatusError ? error.code : 500;
      throw error;
    }
  }

  async function dispatch(target: ResourceRequest, query: URLSearchParams, request: IncomingMessage, response: ServerResponse, body: string): Promise<number> {
    const { resource, namespace, name, subresource } = target;
    const writeOptions = { dryRun: parseDryRun(query.get('dryRun')) };
    switch (target.verb) {
      case 'get':
        return sendJson(response, 200, (operations.get(resource, namespace!, name!)));
      case 'list': {
        const matchesField = parseFieldSelector(query.get('fieldSelector'));
        const matchesLabels = parseLabelSelector(query.get('labelSelector'));
        const items = store.list(resource, namespace).filter((o) => matchesField(o) && matchesLabels(o));
        return sendJson(response, 200, { apiVersion: apiVersionOf(resource), kind: resource.listKind, metadata: { resourceVersion: String(store.resourceVersion) }, items });
      }
      case 'watch': {
        if (watches.size >= watchesMax) throw statusErrors.tooManyRequests(`too many watches open (${watchesMax}); close some`);
        const matchesField = parseFieldSelector(query.get('fieldSelector'));
        const matchesLabels = parseLabelSelector(query.get('labelSelector'));
        const timeout = query.get('timeoutSeconds');
        const end = serveWatch(
          store,
          {
            resource,
            namespace,
            resourceVersion: query.get('resourceVersion'),
            timeoutSeconds: timeout === null || !/^\d+$/.test(timeout) ? undefined : Number(timeout),
            allowBookmarks: query.get('allowWatchBookmarks') === 'true',
            matches: (o) => matchesField(o) && matchesLabels(o),
          },
          response,
        );
        watches.add(end);
        response.on('close', () => watches.delete(end));
        return 200;
      }
      case 'create': {
        if (namespace === undefined) throw statusErrors.methodNotAllowed('POST');
        const created = operations.create(resource, namespace, parseJsonBody(body), writeOptions);
        return sendJson(response, 201, (created));
      }
      case 'update':
        return sendJson(response, 200, (operations.replace(resource, namespace!, name!, parseJsonBody(body), subresource, writeOptions)));
      case 'patch':
        return sendJson(response, 200, (operations.patch(resource, namespace!, name!, String(request.headers['content-type'] ?? ''), body, subresource, writeOptions)));
      case 'delete': {
        const deleteOptions = body.trim() === '' ? {} : (parseJsonBody(body) as { preconditions?: { resourceVersion?: string; uid?: string } });
        return sendJson(response, 200, (operations.delete(resource, namespace!, name!, deleteOptions.preconditions ?? {}, writeOptions)));
      }
      default:
        throw statusErrors.methodNotAllowed(request.method ?? '');
    }
  }

  async function handleAdmin(method: string, pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathname.slice(ADMIN_PREFIX.length);
    if (path === '/faults' && method === 'GET') return void sendJson(response, 200, faults);
    if (path === '/faults' && method === 'PUT') {
      try {
        faults = mergeFaults(faults, parseJsonBody(await readBody(request)));
      } catch (error) {
        throw error instanceof ApiStatusError ? error : statusErrors.badRequest((error as Error).message);
      }
      return void sendJson(response, 200, faults);
    }
    if (path === '/requests' && method === 'GET') return void sendJson(response, 200, { requests: recorded });
    if (path === '/requests' && method === 'DELETE') {
      recorded.length = 0;
      return void sendJson(response, 200, { requests: [] });
    }
    throw statusErrors.noResource();
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  serverAddress = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${serverAddress}`;
  return {
    url,
    port,
    token,
    kubeconfig: (namespace = 'default') => kubeconfigFor(url, token, namespace),
    requests: () => recorded.map((r) => ({ ...r })),
    clearRequests: () => void (recorded.length = 0),
    faults: () => structuredClone(faults),
    setFaults: (update) => (faults = mergeFaults(faults, update)),
    setRules: (next) => void (rules = next),
    onRequest: (hook) => {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    store,
    operations,
    close: () =>
      new Promise<void>((resolve) => {
        controller.close();
        for (const end of watches) end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseDryRun(value: string | null): boolean {
  if (value === null || value === '') return false;
  if (value === 'All') return true;
  throw statusErrors.badRequest(`invalid dryRun "${value}": the only valid value is "All"`);
}

function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw statusErrors.badRequest(`the body of the request could not be decoded as JSON: ${(error as Error).message}`);
  }
}

function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_BYTES_MAX) throw statusErrors.tooLarge(BODY_BYTES_MAX);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, code: number, body: unknown): number {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
  response.end(text);
  return code;
}
