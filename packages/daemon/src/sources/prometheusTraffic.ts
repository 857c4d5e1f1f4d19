import { decodeLatencyHistogram, latencyQuantileMs, plannedTrafficOf, type PlannedTraffic, type RolloutSpec } from '@sluice/core';
import { createPrometheusSource, type PrometheusSourceOptions } from './prometheusSource.js';

/**
 * The traffic `sluice plan --prometheus` plans for: the spec's Prometheus source queried once for the baseline over the
 * last `days` (its own request, error and latency-bucket queries with `$window` = the whole span, evaluated at `nowMs`).
 * Requests per second are the baseline's requests over the span (before a rollout the baseline serves everything); the
 * latency is the lognormal through the span's median and p95 (σ = ln(p95 / median) / 1.645). Errors of the source
 * (unreachable, bad query, no data) are thrown as they are, naming the query.
 */
export async function plannedTrafficFromPrometheus(spec: RolloutSpec, days: number, nowMs: number, options: PrometheusSourceOptions = {}): Promise<PlannedTraffic> {
  const source = createPrometheusSource(spec.sources.prometheus, { baseline: spec.baseline, candidate: spec.candidate }, options);
  const spanMs = Math.round(days * 86_400_000);
  const window = await source.queryVariant('baseline', nowMs - spanMs, nowMs);
  if (window.count <= 0) throw new Error(`the baseline (${spec.baseline}) served no requests in the last ${days} day(s)`);
  const histogram = window.latencyHistogram === '' ? null : decodeLatencyHistogram(window.latencyHistogram);
  const medianMs = histogram ? latencyQuantileMs(histogram, 0.5) : null;
  const p95Ms = histogram ? latencyQuantileMs(histogram, 0.95) : null;
  const latency = medianMs !== null && p95Ms !== null && medianMs > 0 ? { lognormal: { median: medianMs, sigma: Math.min(5, Math.max(0, Math.log(p95Ms / medianMs) / 1.645)) } } : undefined;
  return plannedTrafficOf({
    requestsPerSecond: window.count / (spanMs / 1000),
    errorRate: window.errors / window.count,
    ...(latency ? { latency } : {}),
    source: `Prometheus ${source.config.url}, baseline over the last ${days} day(s)`,
  });
}
