import { issuesFromZod, parseDurationMs, SpecValidationError } from '@sluice/core';
import { z } from 'zod';

/**
 * Configuration of the Prometheus source, as written under a spec's `sources.prometheus` (core types that field as a
 * record; the daemon validates it here when a rollout is created). docs/sources.md documents every field.
 *
 * Query templates are PromQL with two placeholders: `$selector` (the variant's label matchers, without braces) and
 * `$window` (the window length as a Prometheus range, e.g. `5000ms`). Each query is evaluated as an instant query at
 * the window's end, so `increase(x[$window])` is what happened within the window.
 */
const duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\s*(\d+|(\d+(\.\d+)?(ms|s|m|h|d))+)\s*$/, 'a duration like "10s" or milliseconds')])
  .transform((value) => parseDurationMs(value));

const PLACEHOLDERS = ['$selector', '$window'] as const;

const queryTemplate = z
  .string()
  .min(1)
  .max(4_096)
  .refine((q) => PLACEHOLDERS.every((p) => q.includes(p)), {
    message: 'must contain both $selector (where the variant label matchers go) and $window (the range, as in increase(x[$window]))',
  });

/** Label matchers without braces, e.g. `job="checkout",env="prod"`. Checked only for obvious mistakes. */
const matchers = z
  .string()
  .max(2_048)
  .refine((s) => !s.trim().startsWith('{') && !s.trim().endsWith('}'), { message: 'write the matchers without braces: job="checkout"' });

export const DEFAULT_QUERIES = {
  requests: 'sum(increase(http_requests_total{$selector}[$window]))',
  errors: 'sum(increase(http_requests_total{$selector,code=~"5.."}[$window])) or vector(0)',
  latencyBuckets: 'sum by (le) (increase(http_request_duration_seconds_bucket{$selector}[$window]))',
} as const;

export const PROMETHEUS_TIMEOUT_MS_DEFAULT = 10_000;
export const PROMETHEUS_TIMEOUT_MS_MAX = 120_000;
/** One common scrape interval: the last scrape inside a window is in the TSDB by then. */
export const PROMETHEUS_QUERY_DELAY_MS_DEFAULT = 15_000;
export const PROMETHEUS_QUERY_DELAY_MS_MAX = 600_000;

export const prometheusSourceSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .describe('Base URL of the Prometheus-compatible HTTP API, without /api/v1; a path prefix is kept (http://mimir:8080/prometheus)'),
    timeout: duration
      .default(PROMETHEUS_TIMEOUT_MS_DEFAULT)
      .refine((ms) => ms >= 100 && ms <= PROMETHEUS_TIMEOUT_MS_MAX, { message: `must be between 100ms and ${PROMETHEUS_TIMEOUT_MS_MAX / 1000}s` })
      .describe('Timeout of one query, connect to last byte'),
    queryDelay: duration
      .default(PROMETHEUS_QUERY_DELAY_MS_DEFAULT)
      .refine((ms) => ms <= PROMETHEUS_QUERY_DELAY_MS_MAX, { message: `must be at most ${PROMETHEUS_QUERY_DELAY_MS_MAX / 60_000}m` })
      .describe('How long after a window closes it is queried, so its last scrape has been ingested'),
    bearerTokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional()
      .describe('Environment variable holding a bearer token sent as `Authorization: Bearer …`'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'), z.string().max(1_024))
      .refine((h) => Object.keys(h).length <= 16, { message: 'at most 16 headers' })
      .default({})
      .describe('Extra request headers, e.g. X-Scope-OrgID for Mimir tenants'),
    selector: matchers.default('').describe('Label matchers shared by both variants, e.g. job="checkout"'),
    versionLabel: z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name')
      .default('version')
      .describe("Label whose value is the spec's `baseline` or `candidate`"),
    selectors: z
      .object({ baseline: matchers.optional(), canary: matchers.optional() })
      .strict()
      .default({})
      .describe('Full matchers of one variant, replacing selector + versionLabel for it'),
    queries: z
      .object({
        requests: queryTemplate.default(DEFAULT_QUERIES.requests).describe('Requests in the window (one series)'),
        errors: queryTemplate.default(DEFAULT_QUERIES.errors).describe('Failed requests in the window (one series)'),
        latencyBuckets: queryTemplate
          .default(DEFAULT_QUERIES.latencyBuckets)
          .describe('Cumulative histogram bucket counts in the window, one series per `le`'),
      })
      .strict()
      .default(DEFAULT_QUERIES),
    latencyUnit: z
      .enum(['seconds', 'milliseconds', 'microseconds'])
      .default('seconds')
      .describe('Unit of the histogram `le` bounds (Prometheus convention: seconds)'),
    bucketValue: z
      .enum(['linear', 'upperBound'])
      .default('linear')
      .describe("Where a bucket's observations are placed: spread evenly inside the bucket, or all at its upper bound"),
  })
  .strict();

export type PrometheusSourceConfigInput = z.input<typeof prometheusSourceSchema>;
export type PrometheusSourceConfig = z.output<typeof prometheusSourceSchema>;
export type PrometheusQueryName = keyof PrometheusSourceConfig['queries'];

/**
 * Validates `sources.prometheus`. Throws core's SpecValidationError (SLUICE_E_SPEC_INVALID) listing every problem with
 * its full path in the spec (`sources.prometheus.queries.errors`), the same way the rest of the spec is reported.
 */
export function parsePrometheusSourceConfig(input: unknown, source?: string): PrometheusSourceConfig {
  const parsed = prometheusSourceSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = issuesFromZod(parsed.error.issues, input, ['sources', 'prometheus']);
  throw new SpecValidationError(issues, source);
}

/** Escapes a label value for a PromQL string literal. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The label matchers of one variant: its override, else the shared selector plus `versionLabel="<version>"`. */
export function variantSelector(config: PrometheusSourceConfig, variant: 'baseline' | 'canary', version: string): string {
  const override = config.selectors[variant];
  if (override !== undefined && override.trim() !== '') return override.trim();
  const versionMatcher = `${config.versionLabel}="${escapeLabelValue(version)}"`;
  return [config.selector.trim(), versionMatcher].filter((s) => s !== '').join(',');
}

/** Fills a template's placeholders. `windowMs` becomes a millisecond range (`5000ms`), which PromQL accepts exactly. */
export function renderQuery(template: string, selector: string, windowMs: number): string {
  return template.replaceAll('$selector', selector).replaceAll('$window', `${Math.round(windowMs)}ms`);
}
