import { encodeLatencyHistogram, SpecValidationError, type SampleWindowData, type ValidationIssue, type Variant, type VariantWindow } from '@sluice/core';
import type { Dispatcher } from 'undici';
import { bucketsToHistogram, type CumulativeBucket } from './bucketsToHistogram.js';
import { queryInstant, type InstantSample, type PrometheusClientOptions, type QueryLimiter } from './prometheusClient.js';
import { parsePrometheusSourceConfig, renderQuery, variantSelector, type PrometheusQueryName, type PrometheusSourceConfig } from './prometheusConfig.js';
import { PrometheusNoDataError, PrometheusQueryError, PrometheusTokenMissingError, PrometheusUnavailableError } from './prometheusErrors.js';
import type { Timers } from './timers.js';

/**
 * The Prometheus source: instead of pushed samples, each closed window of a rollout is read from a Prometheus-compatible
 * backend. `queryWindow(start, end)` runs, for baseline and canary, the three configured queries as instant queries at
 * `time = end` with `$window = end − start`, and returns the `samples.window` input data the daemon appends.
 *
 * Six queries per window run concurrently (bounded further by an optional shared QueryLimiter). If any fails the whole
 * window fails with a typed error — unreachable first, then a bad query, then no data — and nothing is appended for
 * it: a window with a missing variant or metric is no data, and no data is never a pass.
 */
export interface PrometheusSource {
  readonly config: PrometheusSourceConfig;
  /** The PromQL each query name runs for a variant, for a window of `windowMs` (for logs and `sluice` diagnostics). */
  renderedQueries(variant: Variant, windowMs: number): Record<PrometheusQueryName, string>;
  queryWindow(windowStartAt: number, windowEndAt: number): Promise<SampleWindowData>;
  /** One variant's window alone (`sluice plan --prometheus` reads the baseline's last days before a canary exists). */
  queryVariant(variant: Variant, windowStartAt: number, windowEndAt: number): Promise<VariantWindow>;
}

export interface PrometheusSourceOptions {
  timers?: Timers;
  /** Environment to read `bearerTokenEnv` from; default process.env. */
  env?: Record<string, string | undefined>;
  dispatcher?: Dispatcher;
  limiter?: QueryLimiter;
}

/** Versions come from the spec: `baseline` and `candidate` fill `versionLabel` in the selectors. */
export interface RolloutVersions {
  baseline: string;
  candidate: string;
}

/**
 * Creates the source from a spec's raw `sources.prometheus` (validated here: SpecValidationError naming each field) or
 * an already parsed config. Reads the bearer token once (PrometheusTokenMissingError when its variable is unset).
 */
export function createPrometheusSource(
  rawConfig: unknown,
  versions: RolloutVersions,
  options: PrometheusSourceOptions = {},
): PrometheusSource {
  const config = parsePrometheusSourceConfig(rawConfig);
  const headers: Record<string, string> = { ...config.headers };
  if (config.bearerTokenEnv !== undefined) {
    const token = (options.env ?? process.env)[config.bearerTokenEnv];
    if (token === undefined || token === '') throw new PrometheusTokenMissingError(config.bearerTokenEnv);
    headers.authorization = `Bearer ${token}`;
  }
  const client: PrometheusClientOptions = {
    url: config.url,
    timeoutMs: config.timeout,
    headers,
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.limiter ? { limiter: options.limiter } : {}),
  };
  const selectors: Record<Variant, string> = {
    baseline: variantSelector(config, 'baseline', versions.baseline),
    canary: variantSelector(config, 'canary', versions.candidate),
  };

  const renderedQueries = (variant: Variant, windowMs: number): Record<PrometheusQueryName, string> => ({
    requests: renderQuery(config.queries.requests, selectors[variant], windowMs),
    errors: renderQuery(config.queries.errors, selectors[variant], windowMs),
    latencyBuckets: renderQuery(config.queries.latencyBuckets, selectors[variant], windowMs),
  });

  const queryVariant = async (variant: Variant, windowStartAt: number, windowEndAt: number): Promise<VariantWindow> => {
    const queries = renderedQueries(variant, windowEndAt - windowStartAt);
    const timeSeconds = windowEndAt / 1000;
    const settled = await Promise.allSettled([
      queryInstant(client, 'queries.requests', queries.requests, timeSeconds),
      queryInstant(client, 'queries.errors', queries.errors, timeSeconds),
      queryInstant(client, 'queries.latencyBuckets', queries.latencyBuckets, timeSeconds),
    ]);
    const [requests, errors, buckets] = settled.map(unwrapOrCollect);
    const failure = mostSpecificFailure(settled);
    if (failure) throw failure;
    const window = { variant, windowStartAt, windowEndAt };
    const count = singleValue(requests!, 'queries.requests', queries.requests, window);
    const errorCount = singleValue(errors!, 'queries.errors', queries.errors, window);
    const histogram = toHistogram(buckets!, queries.latencyBuckets, window, config);
    return {
      count,
      // Two metrics scraped at slightly different moments can disagree by a request; errors never exceed requests.
      errors: Math.min(errorCount, count),
      latencyHistogram: count === 0 ? '' : encodeLatencyHistogram(histogram),
    };
  };

  return {
    config,
    renderedQueries,
    queryVariant,
    async queryWindow(windowStartAt, windowEndAt) {
      if (!(Number.isFinite(windowStartAt) && Number.isFinite(windowEndAt) && windowEndAt > windowStartAt)) {
        throw new RangeError(`window must have start < end, got [${windowStartAt}, ${windowEndAt})`);
      }
      const settled = await Promise.allSettled([
        queryVariant('baseline', windowStartAt, windowEndAt),
        queryVariant('canary', windowStartAt, windowEndAt),
      ]);
      const failure = mostSpecificFailure(settled);
      if (failure) throw failure;
      const [baseline, canary] = settled.map(unwrapOrCollect) as [VariantWindow, VariantWindow];
      return { windowStartAt, windowEndAt, baseline, canary };
    },
  };
}

/** Shortest window the Prometheus source accepts: `increase()` needs at least two scrapes inside the range. */
export const PROMETHEUS_WINDOW_MS_MIN = 1_000;

/**
 * The Prometheus source of a validated spec, or undefined when it has none. Call it when a rollout is created, so a
 * bad `sources.prometheus` (SpecValidationError, every problem with its path), a window too short to query
 * (SpecValidationError on `window`) or a missing token (PrometheusTokenMissingError) refuses the rollout up front.
 */
export function prometheusSourceOf(
  spec: { baseline: string; candidate: string; window: number; sources: { prometheus?: Record<string, unknown> | undefined } },
  options: PrometheusSourceOptions = {},
): PrometheusSource | undefined {
  if (spec.sources.prometheus === undefined) return undefined;
  const windowIssues: ValidationIssue[] = [];
  if (spec.window < PROMETHEUS_WINDOW_MS_MIN) {
    const message = `is ${spec.window} ms; with sources.prometheus the window must be at least ${PROMETHEUS_WINDOW_MS_MIN} ms (and several scrape intervals)`;
    windowIssues.push({ path: 'window', message, value: spec.window });
  }
  let source: PrometheusSource;
  try {
    source = createPrometheusSource(spec.sources.prometheus, { baseline: spec.baseline, candidate: spec.candidate }, options);
  } catch (error) {
    // Both at once: a short window and a bad block are reported together.
    if (error instanceof SpecValidationError) throw new SpecValidationError([...windowIssues, ...error.issues]);
    throw error;
  }
  if (windowIssues.length > 0) throw new SpecValidationError(windowIssues);
  return source;
}

interface WindowRef {
  variant: Variant;
  windowStartAt: number;
  windowEndAt: number;
}

function unwrapOrCollect<T>(result: PromiseSettledResult<T>): T | undefined {
  return result.status === 'fulfilled' ? result.value : undefined;
}

/** The error to report when several queries failed: the backend being down explains the others. */
function mostSpecificFailure(settled: readonly PromiseSettledResult<unknown>[]): unknown {
  const reasons = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  return (
    reasons.find((r) => r instanceof PrometheusUnavailableError) ??
    reasons.find((r) => r instanceof PrometheusQueryError) ??
    reasons.find((r) => r instanceof PrometheusNoDataError) ??
    reasons[0]
  );
}

/** A count query must return one number: no series (or NaN) is no data; several series must be aggregated. */
function singleValue(samples: InstantSample[], field: string, query: string, window: WindowRef): number {
  const values = samples.filter((s) => !Number.isNaN(s.value));
  if (values.length === 0) throw new PrometheusNoDataError(field, window.variant, query, window.windowStartAt, window.windowEndAt);
  if (values.length > 1) {
    throw new PrometheusQueryError(field, query, `returned ${values.length} series where one is expected: wrap it in sum(…)`);
  }
  const value = values[0]!.value;
  if (!Number.isFinite(value) || value < 0) throw new PrometheusQueryError(field, query, `returned ${value}, not a non-negative count`);
  // increase() extrapolates to the window edges; counts are whole requests.
  return Math.round(value);
}

function toHistogram(samples: InstantSample[], query: string, window: WindowRef, config: PrometheusSourceConfig) {
  const field = 'queries.latencyBuckets';
  const buckets: CumulativeBucket[] = [];
  for (const sample of samples) {
    if (Number.isNaN(sample.value)) continue;
    const le = sample.metric.le;
    if (le === undefined) throw new PrometheusQueryError(field, query, 'a series has no `le` label: query the _bucket metric and keep le, e.g. sum by (le) (…)');
    buckets.push({ upperBound: parseLe(le), count: sample.value });
  }
  if (buckets.length === 0) throw new PrometheusNoDataError(field, window.variant, query, window.windowStartAt, window.windowEndAt);
  const seen = new Set<number>();
  for (const b of buckets) {
    if (seen.has(b.upperBound)) throw new PrometheusQueryError(field, query, `two series have le="${b.upperBound}": aggregate with sum by (le) (…)`);
    seen.add(b.upperBound);
  }
  try {
    return bucketsToHistogram(buckets, config.latencyUnit, config.bucketValue).histogram;
  } catch (error) {
    throw new PrometheusQueryError(field, query, (error as Error).message, error);
  }
}

/** Prometheus writes infinity as "+Inf", which Number() does not read. */
function parseLe(le: string): number {
  const text = le.trim();
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  return text === '' ? Number.NaN : Number(text);
}
