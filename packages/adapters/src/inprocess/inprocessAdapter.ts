import { roundWeightPercent, type AdapterHealth, type TrafficAdapter, type WeightState } from '@sluice/core';
import { z } from 'zod';
import { applyError, parseAdapterOptions, readError } from '../errors.js';
import { LastKnownGood } from '../lastKnownGood.js';
import { retryWithBackoff, type RetryHooks } from '../retry.js';
import { retryPolicySchema } from '../retrySchema.js';
import { weightBodySchema } from './adminApi.js';
import type { WeightedRouter } from './weightedRouter.js';

const routerSchema = z.custom<WeightedRouter>(
  (value) => typeof value === 'object' && value !== null && ['route', 'setWeight', 'current'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
  'must be a WeightedRouter from createWeightedRouter (an object with route, setWeight and current)',
);

export const inprocessOptionsSchema = z
  .object({
    router: routerSchema.optional().describe('A router in this process (programmatic use only; not expressible in a YAML spec)'),
    adminUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Weight admin endpoint of a routing proxy in another process, e.g. http://127.0.0.1:8080/_sluice/weight'),
    adminTokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional().describe('Environment variable holding the bearer token for PUT'),
    requestTimeoutMs: z.int().min(10).max(60_000).default(2_000).describe('Timeout of each admin request'),
    retry: retryPolicySchema,
  })
  .strict()
  .refine((o) => (o.router === undefined) !== (o.adminUrl === undefined), { message: 'give exactly one of `router` (same process) or `adminUrl` (another process)' });

export type InprocessAdapterOptions = z.input<typeof inprocessOptionsSchema>;

/** The `inprocess` adapter: drives a WeightedRouter directly, or a routing proxy's admin endpoint over HTTP. */
export function createInprocessAdapter(input: InprocessAdapterOptions, hooks: Omit<RetryHooks, 'signal'> = {}): TrafficAdapter {
  const options = parseAdapterOptions('inprocess', inprocessOptionsSchema, input);
  const lastKnownGood = new LastKnownGood<WeightState>();
  const token = options.adminTokenEnv ? process.env[options.adminTokenEnv] : undefined;
  const target = options.router ? 'the in-process router' : `admin endpoint ${options.adminUrl}`;

  async function readState(signal?: AbortSignal): Promise<WeightState> {
    if (options.router) return options.router.current();
    const response = await fetchAdmin('GET', undefined, signal);
    return parseState(await response.json());
  }

  async function writeState(desired: WeightState, signal?: AbortSignal): Promise<WeightState> {
    if (options.router) return options.router.setWeight(desired);
    const response = await fetchAdmin('PUT', desired, signal);
    return parseState(await response.json());
  }

  async function fetchAdmin(method: 'GET' | 'PUT', body: WeightState | undefined, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(options.requestTimeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    if (token && method === 'PUT') headers.authorization = `Bearer ${token}`;
    const response = await fetch(options.adminUrl!, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 500);
      throw new HttpStatusError(response.status, `${method} ${options.adminUrl} answered ${response.status}: ${text}`);
    }
    return response;
  }

  return {
    type: 'inprocess',
    async apply(desired: WeightState, signal?: AbortSignal): Promise<WeightState> {
      const want = { weightPercent: roundWeightPercent(desired.weightPercent), generation: desired.generation };
      try {
        return await retryWithBackoff(
          options.retry,
          async () => {
            const before = await readState(signal);
            if (sameState(before, want)) return before;
            await writeState(want, signal);
            // Verified by reading back, never from the write's own answer.
            const after = await readState(signal);
            if (!sameState(after, want)) {
              throw new Error(`read back ${after.weightPercent}% generation ${after.generation} after setting ${want.weightPercent}% generation ${want.generation}`);
            }
            lastKnownGood.record(after, after);
            return after;
          },
          { ...hooks, ...(signal ? { signal } : {}), isRetryable: (e) => !(e instanceof HttpStatusError && e.status >= 400 && e.status < 500) },
        );
      } catch (error) {
        const restore = lastKnownGood.state;
        if (restore) await writeState(restore, signal).catch(() => undefined);
        throw applyError('inprocess', `could not apply ${want.weightPercent}% generation ${want.generation} to ${target}: ${messageOf(error)}${restore ? `; restored last known good ${restore.weightPercent}% generation ${restore.generation}` : ''}`, { cause: error });
      }
    },
    async read(signal?: AbortSignal): Promise<WeightState> {
      try {
        return await readState(signal);
      } catch (error) {
        throw readError('inprocess', `could not read the weight from ${target}: ${messageOf(error)}`, { cause: error });
      }
    },
    async health(signal?: AbortSignal): Promise<AdapterHealth> {
      try {
        await readState(signal);
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: `${target} not reachable: ${messageOf(error)}` };
      }
    },
    async close(): Promise<void> {},
  };
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseState(body: unknown): WeightState {
  const parsed = weightBodySchema.safeParse(body);
  if (!parsed.success) throw new Error(`admin endpoint answered an unexpected body: ${JSON.stringify(body).slice(0, 200)}`);
  return { weightPercent: roundWeightPercent(parsed.data.weightPercent), generation: parsed.data.generation };
}

function sameState(a: WeightState, b: WeightState): boolean {
  return a.weightPercent === b.weightPercent && a.generation === b.generation;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}


