import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DaemonError } from '../errors.js';
import type { BearerAuth } from './auth.js';
import { errorBody, sendJson } from './respond.js';
import { Router, type Route } from './router.js';

export interface ApiServerOptions {
  routes: Route[];
  auth: BearerAuth;
  /** Reads (GET under /v1 and /metrics) without the token. /healthz and /readyz are always open. */
  openReads: boolean;
  /** Refuses /v1 requests with 503 until recovery is done. */
  isReady(): boolean;
  logger: Logger;
  /** Socket timeouts; tests shorten them. Default SERVER_TIMEOUTS. */
  timeouts?: ServerTimeouts;
}

/** How long a client may take, so slow or stalled clients cannot pin sockets (docs/api.md, "Limits"). */
export interface ServerTimeouts {
  /** From the connection's first byte to the end of the request's headers. */
  headersMs: number;
  /** From the first byte to the end of the request's body. */
  requestMs: number;
  /**
   * How often node:http checks the two above. Its default is 30 s, which is why 10 s / 120 s were observed as 26 s and
   * 145 s: a timeout is only noticed at the next check.
   */
  checkIntervalMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 120_000, checkIntervalMs: 1_000, keepAliveMs: 65_000 };
/** Time a client may take to send a request's headers, and a whole request. */
export const HEADERS_TIMEOUT_MS = SERVER_TIMEOUTS.headersMs;
export const REQUEST_TIMEOUT_MS = SERVER_TIMEOUTS.requestMs;
const ALWAYS_OPEN = new Set(['/healthz', '/readyz']);

/** The daemon's HTTP server: node:http, one router, bearer auth on mutating routes, errors mapped by errors.ts. */
export function createApiServer(options: ApiServerOptions): Server {
  const router = new Router();
  for (const route of options.routes) router.add(route);
  const timeouts = options.timeouts ?? SERVER_TIMEOUTS;
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
      keepAliveTimeout: timeouts.keepAliveMs,
    },
    (req, res) => {
      void handle(router, options, req, res);
    },
  );
  return server;
}

const ROOT_URL = new URL('http://sluice.invalid/');

/** The request target as a URL; a target that is not a path is an unknown route (404), not an internal error. */
function requestUrl(target = '/'): URL {
  try {
    return new URL(target, ROOT_URL);
  } catch {
    throw new DaemonError('SLUICE_E_ROUTE_NOT_FOUND', `the request target ${JSON.stringify(target.slice(0, 200))} is not a path; see docs/api.md for the routes`);
  }
}

/** Whether a request failed because the client went away, which is logged below `error`. */
function isClientGone(error: unknown, req: IncomingMessage, res: ServerResponse): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  return (req.destroyed && !req.complete) || res.destroyed;
}

async function handle(router: Router, options: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Parsed inside the try: `new URL('//', base)` throws, and a throw before it left the request unanswered (found by
  // the fuzzer: POST // hung until the client gave up, as an unhandled rejection).
  let url: URL = ROOT_URL;
  try {
    url = requestUrl(req.url);
    const { route, params } = router.match(req.method ?? 'GET', url.pathname);
    if (!ALWAYS_OPEN.has(url.pathname) && route.open !== true) {
      if (route.mutating || !options.openReads) options.auth.check(req);
      if (url.pathname.startsWith('/v1/') && !options.isReady()) {
        throw new DaemonError('SLUICE_E_NOT_READY', 'the daemon is still recovering rollouts from the log; retry in a moment (GET /readyz says when)');
      }
    }
    const result = await route.handler({ req, res, params, query: url.searchParams });
    if (result) sendJson(res, result.status, result.body);
  } catch (error) {
    if (isClientGone(error, req, res)) {
      // The client hung up (or its connection broke) mid-request: nothing to answer, and nothing wrong with the daemon.
      options.logger.debug({ method: req.method, path: url.pathname, reason: (error as Error).message }, 'client disconnected before the answer');
      res.destroy();
      return;
    }
    const { status, body } = errorBody(error);
    if (status >= 500) options.logger.error({ err: error, method: req.method, path: url.pathname }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refused request's body may still be arriving (a 50 MB upload without the token): answer, then close the
    // connection rather than read the rest, which node:http does to keep a connection alive.
    if (!req.complete) res.setHeader('connection', 'close');
    sendJson(res, status, body);
  }
}
