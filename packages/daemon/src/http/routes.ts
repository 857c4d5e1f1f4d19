import { DaemonError } from '../errors.js';
import { parseRolloutListQuery, type RolloutService } from '../runtime/RolloutService.js';
import type { EventLog } from '@sluice/core';
import type { EventBus } from '../runtime/EventBus.js';
import { readBody, readJsonBody } from './body.js';
import { streamEvents } from './eventStream.js';
import type { Route } from './router.js';
import { uiRoutes } from '../ui/uiRoutes.js';

export interface RouteDependencies {
  service: RolloutService;
  log: EventLog;
  bus: EventBus;
  limits: { jsonBodyBytesMax: number; sampleBodyBytesMax: number };
  /** Prometheus text exposition of the daemon's metrics. */
  renderMetrics(): Promise<string> | string;
  isReady(): boolean;
  /** What start-up recovery found (rollouts rebuilt, journal rows replayed); undefined before it ran. */
  recovery(): unknown;
  /** Why the daemon refuses writes (--read-only, or a log that does not verify); undefined while it takes them. */
  readOnlyReason?(): string | undefined;
  /** The log's head (sequence, link) and how far it is verified: for an outside system to hold. */
  logHead?(): Record<string, unknown>;
}

/** Every endpoint of the API, in the order docs/api.md lists them. */
export function apiRoutes(deps: RouteDependencies): Route[] {
  const { service, limits } = deps;
  const text = async (req: Parameters<typeof readBody>[0], max: number): Promise<string> => (await readBody(req, max)).toString('utf8');
  return [
    { method: 'GET', pattern: '/healthz', mutating: false, handler: () => ({ status: 200, body: { ok: true } }) },
    {
      method: 'GET',
      pattern: '/readyz',
      mutating: false,
      handler: () =>
        !deps.isReady()
          ? { status: 503, body: { ready: false, reason: 'recovering rollouts from the log' } }
          : deps.readOnlyReason?.() !== undefined
            ? { status: 503, body: { ready: false, readOnly: true, reason: deps.readOnlyReason?.(), recovery: deps.recovery() } }
            : { status: 200, body: { ready: true, recovery: deps.recovery() } },
    },
    {
      method: 'GET',
      pattern: '/metrics',
      mutating: false,
      handler: async ({ res }) => {
        const body = await deps.renderMetrics();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(body);
        return undefined;
      },
    },
    {
      method: 'POST',
      pattern: '/v1/rollouts',
      mutating: true,
      handler: async ({ req }) => {
        const { created, rollout, plan } = service.create(await text(req, limits.jsonBodyBytesMax));
        return { status: created ? 201 : 200, body: plan === null ? { created, rollout } : { created, rollout, plan } };
      },
    },
    { method: 'GET', pattern: '/v1/rollouts', mutating: false, handler: ({ query }) => ({ status: 200, body: { ...service.list(parseRolloutListQuery(query)), quarantined: service.quarantined() } }) },
    { method: 'GET', pattern: '/v1/log/head', mutating: false, handler: () => ({ status: 200, body: deps.logHead?.() ?? {} }) },
    { method: 'GET', pattern: '/v1/rollouts/:id', mutating: false, handler: ({ params }) => ({ status: 200, body: { rollout: service.get(params.id!) } }) },
    {
      method: 'POST',
      pattern: '/v1/rollouts/:id/commands/:command',
      mutating: true,
      handler: async ({ req, params }) => {
        const body = (await readJsonBody(req, limits.jsonBodyBytesMax)) as Record<string, unknown>;
        return service.command(params.id!, params.command!, body ?? {});
      },
    },
    {
      method: 'POST',
      pattern: '/v1/rollouts/:id/samples',
      mutating: true,
      handler: async ({ req, params }) => service.samples(params.id!, await text(req, limits.sampleBodyBytesMax)),
    },
    {
      method: 'POST',
      pattern: '/v1/rollouts/:id/windows',
      mutating: true,
      handler: async ({ req, params }) => service.windows(params.id!, await text(req, limits.sampleBodyBytesMax)),
    },
    {
      method: 'POST',
      pattern: '/v1/rollouts/:id/health',
      mutating: true,
      handler: async ({ req, params }) => {
        const events = service.health(params.id!, asObject(await readJsonBody(req, limits.jsonBodyBytesMax)));
        return { status: 200, body: { events } };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/rollouts/:id/metrics',
      mutating: true,
      handler: async ({ req, params }) => {
        const events = service.metric(params.id!, asObject(await readJsonBody(req, limits.jsonBodyBytesMax)));
        return { status: 200, body: { events } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/rollouts/:id/events',
      mutating: false,
      handler: ({ req, res, params, query }) => {
        const lastEventId = req.headers['last-event-id'];
        const from = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) + 1 : integerParam(query.get('from'), 0, 'from');
        if ((req.headers.accept ?? '').includes('text/event-stream')) {
          service.assertExists(params.id!); // 404 before the stream starts
          streamEvents(res, deps.log, deps.bus, params.id!, from);
          return undefined;
        }
        return { status: 200, body: service.events(params.id!, from, integerParam(query.get('limit'), 1_000, 'limit')) };
      },
    },
    // The dashboard at /ui and the report data it draws (docs/dashboard.md).
    ...uiRoutes({ service, log: deps.log }),
  ];
}

function integerParam(value: string | null, fallback: number, name: string): number {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new DaemonError('SLUICE_E_BODY_INVALID', `query parameter ${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DaemonError('SLUICE_E_BODY_INVALID', 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
