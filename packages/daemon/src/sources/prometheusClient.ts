import type { Dispatcher } from 'undici';
import { request } from '../http/undiciRequest.js';
import { PrometheusQueryError, PrometheusUnavailableError } from './prometheusErrors.js';
import { systemTimers, type Timers } from './timers.js';

/**
 * A minimal client for the Prometheus HTTP API's instant query (`POST /api/v1/query`, form-encoded, so long queries
 * are not limited by URL length). Prometheus, Mimir, Thanos Query and VictoriaMetrics all serve this endpoint with the
 * same request and response shape.
 */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusClientOptions {
  /** Base URL without /api/v1. */
  url: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  timers?: Timers;
  dispatcher?: Dispatcher;
  /** Largest response body accepted; a larger one is a query error (too many series). Default 4 MiB. */
  bodyBytesMax?: number;
  /** Shared bound on queries in flight across sources. */
  limiter?: QueryLimiter;
}

export const PROMETHEUS_BODY_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;

/** Bounds the queries in flight to the backend across every rollout's source (FIFO waiting). */
export class QueryLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly concurrencyMax = 8) {
    if (!(Number.isInteger(concurrencyMax) && concurrencyMax >= 1)) throw new RangeError(`concurrencyMax must be an integer ≥ 1, got ${concurrencyMax}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrencyMax) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * Runs one instant query at `timeSeconds` and returns its samples (a scalar result becomes one sample without labels).
 * `field` names the config field the query came from, for error messages.
 */
export async function queryInstant(options: PrometheusClientOptions, field: string, query: string, timeSeconds: number): Promise<InstantSample[]> {
  const run = (): Promise<InstantSample[]> => queryInstantNow(options, field, query, timeSeconds);
  return options.limiter ? options.limiter.run(run) : run();
}

async function queryInstantNow(options: PrometheusClientOptions, field: string, query: string, timeSeconds: number): Promise<InstantSample[]> {
  const timers = options.timers ?? systemTimers;
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/v1/query`;
  const controller = new AbortController();
  const timeout = timers.setTimeout(() => controller.abort(), options.timeoutMs);
  let statusCode: number;
  let text: string;
  try {
    const response = await request(endpoint, {
      method: 'POST',
      signal: controller.signal,
      headers: { ...options.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ query, time: timeSeconds.toFixed(3) }).toString(),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    statusCode = response.statusCode;
    text = await readText(response.body, options.bodyBytesMax ?? PROMETHEUS_BODY_BYTES_MAX_DEFAULT, field, query);
  } catch (error) {
    if (error instanceof PrometheusQueryError) throw error;
    const detail = controller.signal.aborted ? `timeout after ${options.timeoutMs} ms` : describe(error);
    throw new PrometheusUnavailableError(options.url, query, detail, error);
  } finally {
    timers.clearTimeout(timeout);
  }
  return parseResponse(options.url, field, query, statusCode, text);
}

/** Interprets the API's JSON envelope: {status, data: {resultType, result}} or {status: "error", errorType, error}. */
export function parseResponse(url: string, field: string, query: string, statusCode: number, text: string): InstantSample[] {
  let body: { status?: unknown; data?: { resultType?: unknown; result?: unknown }; errorType?: unknown; error?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  // 400 bad_data and 422 execution errors are the query's fault; 5xx and anything unparseable are the backend's.
  if (statusCode === 400 || statusCode === 422 || (body?.status === 'error' && statusCode < 500)) {
    const detail = body?.error ? `${String(body.errorType ?? 'error')}: ${String(body.error)}` : `HTTP ${statusCode}`;
    throw new PrometheusQueryError(field, query, detail);
  }
  if (statusCode < 200 || statusCode >= 300 || body === undefined || body.status !== 'success') {
    const detail = body?.error ? `HTTP ${statusCode} ${String(body.error)}` : `HTTP ${statusCode} ${text.slice(0, 200)}`;
    throw new PrometheusUnavailableError(url, query, detail);
  }
  const { resultType, result } = body.data ?? {};
  if (resultType === 'scalar' && Array.isArray(result)) return [{ metric: {}, value: parseSampleValue(result[1]) }];
  if (resultType !== 'vector' || !Array.isArray(result)) {
    throw new PrometheusQueryError(field, query, `expected an instant vector, got a ${String(resultType)} result (do not end the query with a [range])`);
  }
  return result.map((entry: { metric?: Record<string, string>; value?: unknown[] }) => ({
    metric: entry.metric ?? {},
    value: parseSampleValue(entry.value?.[1]),
  }));
}

/** Sample values are strings ("12.5", "NaN", "+Inf"); anything else reads as NaN, which callers treat as no data. */
function parseSampleValue(raw: unknown): number {
  return typeof raw === 'string' ? Number(raw) : Number.NaN;
}

async function readText(body: Dispatcher.ResponseData['body'], bytesMax: number, field: string, query: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > bytesMax) {
      body.destroy();
      throw new PrometheusQueryError(field, query, `the response is larger than ${bytesMax} bytes: aggregate the query (sum, sum by (le)) so it returns few series`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code} ` : ''}${error.message}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}
