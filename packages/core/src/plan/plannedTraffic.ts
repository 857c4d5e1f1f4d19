import { z } from 'zod';
import { SpecValidationError } from '../errors.js';
import { latencyComponents, type LatencyComponent, type LatencyDistribution } from '../simulate/latencyDistribution.js';
import type { TrafficModel } from '../simulate/trafficModel.js';
import { issuesFromZod } from '../spec/validationIssues.js';

/**
 * What the pre-flight plan assumes about the service's traffic: its request rate (both versions together), the
 * baseline's error rate, and its latency distribution. It comes from `sluice plan --rps/--error-rate`, from a traffic
 * model (its baseline arm at time 0), from the spec's `expectedTraffic`, or from a Prometheus query of the last days.
 */
export interface PlannedTraffic {
  requestsPerSecond: number;
  /** Fraction of requests that fail (0.001 = 0.1%). */
  errorRate: number;
  latency: readonly LatencyComponent[];
  /** Where these numbers came from, as the plan prints it ("--rps 5 --error-rate 0.001", "traffic model", …). */
  source: string;
}

/** The latency assumed when none is given: lognormal, median 40 ms, σ 0.6 (p95 ≈ 107 ms, p99 ≈ 162 ms). */
export const DEFAULT_PLANNED_LATENCY: LatencyDistribution = { lognormal: { median: 40, sigma: 0.6 } };

export function plannedTrafficOf(parts: { requestsPerSecond: number; errorRate: number; latency?: LatencyDistribution; source: string }): PlannedTraffic {
  return {
    requestsPerSecond: parts.requestsPerSecond,
    errorRate: parts.errorRate,
    latency: latencyComponents(parts.latency ?? DEFAULT_PLANNED_LATENCY),
    source: parts.source,
  };
}

/** The traffic a traffic model describes at its start (its baseline arm, its mean rate). */
export function plannedTrafficFromModel(model: TrafficModel, source = 'traffic model'): PlannedTraffic {
  return plannedTrafficOf({ requestsPerSecond: model.requestsPerSecond, errorRate: model.baseline.errorRate, latency: model.baseline.latencyMs, source });
}

const flagsSchema = z
  .object({
    requestsPerSecond: z.number().positive().max(1_000_000),
    errorRate: z.number().min(0).max(1),
    latencyMedianMs: z.number().positive().max(3_600_000).optional(),
    latencySigma: z.number().min(0).max(5).optional(),
  })
  .strict();

/**
 * The traffic of `--rps N --error-rate P [--latency-median-ms M] [--latency-sigma S]`; throws SpecValidationError
 * (SLUICE_E_TRAFFIC_MODEL_INVALID) naming every bad value.
 */
export function plannedTrafficFromFlags(flags: z.input<typeof flagsSchema>, source: string): PlannedTraffic {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) throw new SpecValidationError(issuesFromZod(parsed.error.issues, flags), source, 'SLUICE_E_TRAFFIC_MODEL_INVALID');
  const { requestsPerSecond, errorRate, latencyMedianMs, latencySigma } = parsed.data;
  const latency: LatencyDistribution | undefined =
    latencyMedianMs !== undefined || latencySigma !== undefined
      ? { lognormal: { median: latencyMedianMs ?? 40, sigma: latencySigma ?? 0.6 } }
      : undefined;
  return plannedTrafficOf({ requestsPerSecond, errorRate, ...(latency ? { latency } : {}), source });
}

/** The traffic a spec's `expectedTraffic` states, or null when it states none. */
export function plannedTrafficFromSpec(spec: { expectedTraffic?: { requestsPerSecond: number; errorRatePercent: number; latencyMsMedian?: number | undefined; latencySigma?: number | undefined } | undefined }): PlannedTraffic | null {
  const expected = spec.expectedTraffic;
  if (!expected) return null;
  const latency: LatencyDistribution | undefined =
    expected.latencyMsMedian !== undefined || expected.latencySigma !== undefined
      ? { lognormal: { median: expected.latencyMsMedian ?? 40, sigma: expected.latencySigma ?? 0.6 } }
      : undefined;
  return plannedTrafficOf({ requestsPerSecond: expected.requestsPerSecond, errorRate: expected.errorRatePercent / 100, ...(latency ? { latency } : {}), source: "the spec's expectedTraffic" });
}
