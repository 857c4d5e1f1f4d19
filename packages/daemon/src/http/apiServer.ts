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
}

/** Time a client may take to send a request's headers, and a whole request; bounded so slow clients cannot pin sockets. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 120_000;
const ALWAYS_OPEN = new Set(['/healthz', '/readyz']);

/** The daemon's HTTP server: node:http, one router, bearer auth on mutating routes, errors mapped by errors.ts. */
export function createApiServer(options: ApiServerOptions): Server {
  const router = new Router();
  for (const route of options.routes) router.add(route);
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(router, options, req, res);
  });
  return server;
}

async function handle(router: Router, options: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sluice.invalid');
  try {
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
    const { status, body } = errorBody(error);
    if (status >= 500) options.logger.error({ err: error, method: req.method, path: url.pathname }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refused body may still be arriving; close the connection rather than read it.
    if (status === 413) res.setHeader('connection', 'close');
    sendJson(res, status, body);
  }
}
