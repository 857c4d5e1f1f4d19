import type { IncomingMessage, ServerResponse } from 'node:http';
import { DaemonError } from '../errors.js';

export type Method = 'GET' | 'POST';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

/** What a handler returns: a JSON body with a status, or `undefined` when it wrote the response itself (SSE, text). */
export type HandlerResult = { status: number; body: unknown } | undefined;
export type Handler = (context: RequestContext) => HandlerResult | Promise<HandlerResult>;

export interface Route {
  method: Method;
  /** Path with `:name` segments, e.g. `/v1/rollouts/:id`. */
  pattern: string;
  /** Whether the route changes state (needs the bearer token). */
  mutating: boolean;
  /** Served without the token even when reads need it: only for content that holds no data (the dashboard's page and assets). */
  open?: boolean;
  handler: Handler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

/** A small exact-segment router: no regexes from users, no wildcards, one match per path. */
export class Router {
  readonly #routes: CompiledRoute[] = [];

  add(route: Route): this {
    this.#routes.push({ ...route, segments: route.pattern.split('/').filter(Boolean) });
    return this;
  }

  /** Finds the route for a method and path; throws 404 for an unknown path and 405 for a known path, wrong method. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      pathKnown = true;
    }
    if (pathKnown) throw new DaemonError('SLUICE_E_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    throw new DaemonError('SLUICE_E_ROUTE_NOT_FOUND', `no endpoint ${method} ${path} — see docs/api.md for the endpoints under /v1`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = parts[i]!;
    if (expected.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params[expected.slice(1)] = decoded;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
