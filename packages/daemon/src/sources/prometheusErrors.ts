import { DaemonError } from '../errors.js';

/**
 * Failures of the Prometheus source. Each names the query that failed and what to do. The scheduler treats all of
 * them as "no data for this window": no data is never a pass, so a broken source holds a rollout, it never promotes it.
 */

/** Prometheus (or Mimir, Thanos, VictoriaMetrics) did not answer: connection refused, timeout, 5xx, unreadable body. */
export class PrometheusUnavailableError extends DaemonError {
  readonly query: string;
  readonly url: string;
  constructor(url: string, query: string, detail: string, cause?: unknown) {
    super(
      'SLUICE_E_PROMETHEUS_UNREACHABLE',
      `Prometheus at ${url} did not answer the query \`${query}\`: ${detail} — check that it is running and reachable ` +
        'from the daemon, and sources.prometheus.url / timeout in the spec',
      { cause, details: { url, query, detail } },
    );
    this.name = 'PrometheusUnavailableError';
    this.query = query;
    this.url = url;
  }
}

/** Prometheus answered but refused the query (bad PromQL, execution error) or returned a result of the wrong shape. */
export class PrometheusQueryError extends DaemonError {
  readonly query: string;
  /** The config field the query came from, e.g. `queries.errors`. */
  readonly field: string;
  constructor(field: string, query: string, detail: string, cause?: unknown) {
    super(
      'SLUICE_E_PROMETHEUS_QUERY',
      `the query \`${query}\` from sources.prometheus.${field} failed: ${detail} — try it in the Prometheus UI and fix ` +
        `sources.prometheus.${field} in the spec`,
      { cause, details: { field, query, detail } },
    );
    this.name = 'PrometheusQueryError';
    this.query = query;
    this.field = field;
  }
}

/** The query ran but returned no series (or NaN): nothing was measured in the window. Never read as a pass. */
export class PrometheusNoDataError extends DaemonError {
  readonly query: string;
  readonly field: string;
  readonly variant: 'baseline' | 'canary';
  constructor(field: string, variant: 'baseline' | 'canary', query: string, windowStartAt: number, windowEndAt: number) {
    const hint =
      field === 'queries.errors'
        ? 'an error counter often has no series until the first error: append `or vector(0)` to the query'
        : `check that the ${variant} selector matches series that exist (try the query in the Prometheus UI) and that the ` +
          'scrape interval is well below the window length';
    super(
      'SLUICE_E_PROMETHEUS_NO_DATA',
      `no data for the ${variant} from sources.prometheus.${field} in window ` +
        `[${new Date(windowStartAt).toISOString()}, ${new Date(windowEndAt).toISOString()}): \`${query}\` returned no ` +
        `series — no data is never a pass; ${hint}`,
      { details: { field, variant, query, windowStartAt, windowEndAt } },
    );
    this.name = 'PrometheusNoDataError';
    this.query = query;
    this.field = field;
    this.variant = variant;
  }
}

/** `sources.prometheus.bearerTokenEnv` names an environment variable that is not set in the daemon's environment. */
export class PrometheusTokenMissingError extends DaemonError {
  constructor(variable: string) {
    super(
      'SLUICE_E_PROMETHEUS_TOKEN_MISSING',
      `sources.prometheus.bearerTokenEnv names the environment variable ${variable}, which is not set in the daemon's ` +
        'environment — set it before starting the daemon, or remove bearerTokenEnv',
      { details: { variable } },
    );
    this.name = 'PrometheusTokenMissingError';
  }
}
