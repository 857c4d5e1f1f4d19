import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isErrorStatus, type Variant } from '@sluice/core';
import { ADMIN_WEIGHT_PATH, handleAdmin, sendJson } from './adminApi.js';
import { createWeightedRouter, type WeightedRouter } from './weightedRouter.js';

export interface RoutingProxyOptions {
  /** Base URL of the stable version (http only), e.g. http://127.0.0.1:8081. */
  stableUrl: string;
  /** Base URL of the candidate version. */
  candidateUrl: string;
  /** Router to use; default a new one at weight 0. */
  router?: WeightedRouter;
  /** Address to bind; default 127.0.0.1 (loopback). */
  host?: string;
  /** Port to bind; default 0 (an ephemeral port, read it from `port`). */
  port?: number;
  /** Bearer token required by PUT /_sluice/weight; default none (the proxy binds to loopback). */
  adminToken?: string;
  /** Sticky routing by this request header's value, when present. */
  stickyHeader?: string;
  /** Sticky routing by this cookie's value, when present (checked after stickyHeader). */
  stickyCookie?: string;
  /** Open connections per upstream; default 256. */
  socketsMaxPerUpstream?: number;
  /** Idle keep-alive connections kept per upstream; default 64. */
  freeSocketsMaxPerUpstream?: number;
  /** Time to wait for an upstream's response headers, and idle time on its socket; default 30 000 ms. */
  upstreamTimeoutMs?: number;
  /** Time a client may take to send its request headers; default 10 000 ms. */
  headersTimeoutMs?: number;
  /**
   * Called once per finished request with what an access log line holds (an example gateway writes one): the variant,
   * the upstream's host:port, the status the client got (0 when no response reached it), the latency and the end time.
   */
  onRequestDone?: (request: ProxiedRequest) => void;
}

export interface ProxiedRequest {
  variant: Variant;
  upstream: string;
  status: number;
  latencyMs: number;
  /** End of the request, ms since epoch. */
  at: number;
}

export interface RoutingProxy {
  readonly router: WeightedRouter;
  readonly port: number;
  /** `http://host:port` of the proxy. */
  readonly url: string;
  /** `http://host:port/_sluice/weight`, the `adminUrl` for the `inprocess` adapter. */
  readonly adminUrl: string;
  close(): Promise<void>;
}

/** Headers that describe one connection and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization']);

/**
 * A reverse proxy that routes every request to the stable or the candidate version through a weighted router, and
 * reports each finished request as a RequestSample on `router.onSample`. It serves the weight admin endpoint so the
 * daemon's `inprocess` adapter can drive it from another process.
 */
export async function startRoutingProxy(options: RoutingProxyOptions): Promise<RoutingProxy> {
  const upstreams: Record<Variant, URL> = { baseline: parseUpstream(options.stableUrl, 'stableUrl'), canary: parseUpstream(options.candidateUrl, 'candidateUrl') };
  const stickyHeader = options.stickyHeader?.toLowerCase();
  const stickyCookie = options.stickyCookie;
  const router = options.router ?? createWeightedRouter();
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.socketsMaxPerUpstream ?? 256,
    maxFreeSockets: options.freeSocketsMaxPerUpstream ?? 64,
    timeout: upstreamTimeoutMs,
  });

  const server: Server = createServer({ headersTimeout: options.headersTimeoutMs ?? 10_000, requestTimeout: 0, keepAliveTimeout: 5_000 }, (request, response) => {
    const path = request.url ?? '/';
    if (path === ADMIN_WEIGHT_PATH || path.startsWith(`${ADMIN_WEIGHT_PATH}?`)) return handleAdmin(router, request, response, options.adminToken);
    forward(request, response);
  });

  function forward(request: IncomingMessage, response: ServerResponse): void {
    const startedAt = performance.now();
    const headers = request.headers as Record<string, string | string[] | undefined>;
    const stickyKey = stickyKeyOf(headers, stickyHeader, stickyCookie);
    const { variant } = router.route(stickyKey === undefined ? { headers } : { headers, key: stickyKey });
    const target = upstreams[variant];
    let reported = false;
    const report = (status: number): void => {
      if (reported) return;
      reported = true;
      const latencyMs = performance.now() - startedAt;
      router.recordOutcome({ variant, ok: !isErrorStatus(status), latencyMs });
      options.onRequestDone?.({ variant, upstream: target.host, status, latencyMs, at: Date.now() });
    };
    const outgoing = httpRequest({
      agent,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: request.method,
      path: joinPath(target.pathname, request.url ?? '/'),
      headers: forwardHeaders(headers, request.socket.remoteAddress),
      timeout: upstreamTimeoutMs,
    });
    outgoing.on('response', (upstream) => {
      const responseHeaders: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upstream.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) responseHeaders[name] = value;
      responseHeaders['x-sluice-variant'] = variant;
      response.writeHead(upstream.statusCode ?? 502, responseHeaders);
      upstream.pipe(response);
      upstream.on('end', () => report(upstream.statusCode ?? 0));
      upstream.on('error', () => {
        report(0);
        response.destroy();
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`upstream ${variant} did not answer within ${upstreamTimeoutMs} ms`)));
    outgoing.on('error', (error) => {
      report(response.headersSent ? 0 : 502);
      if (response.headersSent) return void response.destroy();
      sendJson(response, 502, { error: `sluice proxy: ${variant} upstream ${target.host} failed: ${error.message}`, variant });
    });
    request.pipe(outgoing);
    response.on('close', () => {
      if (!response.writableFinished) {
        report(0);
        outgoing.destroy();
      }
    });
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
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    router,
    port,
    url: base,
    adminUrl: `${base}${ADMIN_WEIGHT_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function parseUpstream(text: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`routing proxy: ${name} "${text}" is not a URL; give e.g. http://127.0.0.1:8081`);
  }
  if (url.protocol !== 'http:') throw new TypeError(`routing proxy: ${name} must be an http:// URL, got ${url.protocol}`);
  return url;
}

function joinPath(basePath: string, requestPath: string): string {
  if (basePath === '/' || basePath === '') return requestPath;
  return basePath.replace(/\/$/, '') + (requestPath.startsWith('/') ? requestPath : `/${requestPath}`);
}

function forwardHeaders(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  const previous = headers['x-forwarded-for'];
  out['x-forwarded-for'] = [previous, remoteAddress].flat().filter(Boolean).join(', ');
  return out;
}

function stickyKeyOf(headers: Record<string, string | string[] | undefined>, header: string | undefined, cookie: string | undefined): string | undefined {
  if (header) {
    const value = headers[header];
    const text = Array.isArray(value) ? value[0] : value;
    if (text) return text;
  }
  if (cookie) {
    const raw = headers.cookie;
    for (const part of (Array.isArray(raw) ? raw.join('; ') : (raw ?? '')).split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookie) return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return undefined;
}
