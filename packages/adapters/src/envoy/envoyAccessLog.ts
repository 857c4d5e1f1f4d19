import { isErrorStatus, SpecValidationError, type Variant } from '@sluice/core';
import { z } from 'zod';
import type { AdapterLogger } from '../createAdapter.js';
import { parseAdapterOptions, type OptionsLocation } from '../errors.js';
import { createLineTail, tailOptionsShape, type AccessLogTail, type LineResult } from '../tail/accessLogTail.js';

/**
 * Envoy's access logs as samples, from either of Envoy's two sinks: the gRPC access-log service (ALS, entries streamed
 * to the daemon's xDS server) or a JSON file access log (tailed with the same tail as nginx's). Either way the
 * upstream cluster says baseline or canary, the response code (and gRPC status, when logged) says ok, the duration is
 * the latency.
 */
export const ENVOY_ACCESS_LOG_LOCATION: OptionsLocation = { label: 'sources.envoyAccessLog (Envoy access-log source)', pathPrefix: ['sources', 'envoyAccessLog'] };

const clusterList = z.array(z.string().min(1).max(200)).min(1).max(64);

export const envoyAccessLogOptionsSchema = z
  .object({
    baselineClusters: clusterList.optional().describe('Upstream clusters of the stable version; default the envoy adapter\'s stableCluster'),
    candidateClusters: clusterList.optional().describe('Upstream clusters of the candidate version; default the envoy adapter\'s canaryCluster'),
    latencyFrom: z.enum(['duration', 'upstream']).default('duration').describe('Whole request as Envoy saw it, or the time to the last upstream byte'),
    logName: z.string().min(1).max(256).optional().describe('gRPC only: take entries of this log_name (the ALS config\'s log_name); default every log'),
    // The file tail's options; `path` chooses the file source over the gRPC service.
    path: tailOptionsShape.path.optional().describe('JSON file access log to tail (docs/adapters/envoy.md shows its json_format); without it entries come over gRPC'),
    startAt: tailOptionsShape.startAt,
    pollIntervalMs: tailOptionsShape.pollIntervalMs,
    readBytesMaxPerPoll: tailOptionsShape.readBytesMaxPerPoll,
    lineBytesMax: tailOptionsShape.lineBytesMax,
  })
  .strict()
  .refine((o) => !(o.baselineClusters ?? []).some((c) => (o.candidateClusters ?? []).includes(c)), { message: 'a cluster is listed as both baseline and candidate', path: ['candidateClusters'] })
  .refine((o) => o.path === undefined || o.logName === undefined, { message: 'logName selects entries of the gRPC service; a file source (path) has none', path: ['logName'] });

export type EnvoyAccessLogOptionsInput = z.input<typeof envoyAccessLogOptionsSchema>;

export interface EnvoyAccessLogMapping {
  baselineClusters: readonly string[];
  candidateClusters: readonly string[];
  latencyFrom: 'duration' | 'upstream';
}

export interface EnvoyAccessLogConfig extends EnvoyAccessLogMapping {
  /** Set: tail this file. Unset: entries arrive over gRPC (the daemon's ALS on --xds-listen). */
  path?: string;
  logName?: string;
  tail: { path: string; startAt: 'end' | 'start'; pollIntervalMs: number; readBytesMaxPerPoll: number; lineBytesMax: number } | undefined;
}

/**
 * Validates `sources.envoyAccessLog` (every problem at its path). Clusters default to the envoy adapter's
 * (`adapterClusters`), and must be given when the rollout uses another adapter.
 */
export function parseEnvoyAccessLogOptions(input: unknown, adapterClusters?: { stableCluster?: unknown; canaryCluster?: unknown }): EnvoyAccessLogConfig {
  const options = parseAdapterOptions('Envoy access-log', envoyAccessLogOptionsSchema, input, ENVOY_ACCESS_LOG_LOCATION);
  const fallback = (value: unknown): string[] | undefined => (typeof value === 'string' && value !== '' ? [value] : undefined);
  const baselineClusters = options.baselineClusters ?? fallback(adapterClusters?.stableCluster);
  const candidateClusters = options.candidateClusters ?? fallback(adapterClusters?.canaryCluster);
  if (!baselineClusters || !candidateClusters) {
    const missing = [!baselineClusters ? 'baselineClusters' : undefined, !candidateClusters ? 'candidateClusters' : undefined].filter((k): k is string => k !== undefined);
    const issues = missing.map((key) => ({ path: `sources.envoyAccessLog.${key}`, message: 'is required (a list of cluster names) when the rollout does not use the envoy adapter, whose clusters it defaults to' }));
    throw new SpecValidationError(issues, ENVOY_ACCESS_LOG_LOCATION.label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  return {
    baselineClusters,
    candidateClusters,
    latencyFrom: options.latencyFrom,
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.logName !== undefined ? { logName: options.logName } : {}),
    tail:
      options.path === undefined
        ? undefined
        : { path: options.path, startAt: options.startAt, pollIntervalMs: options.pollIntervalMs, readBytesMaxPerPoll: options.readBytesMaxPerPoll, lineBytesMax: options.lineBytesMax },
  };
}

/** gRPC status codes that count as the server failing (the others are the caller's doing: NOT_FOUND, INVALID_ARGUMENT…). */
export const GRPC_SERVER_FAILURES: ReadonlySet<number> = new Set([2, 4, 8, 12, 13, 14, 15]);

export function classifyCluster(cluster: string, mapping: EnvoyAccessLogMapping): Variant | undefined {
  if (mapping.candidateClusters.includes(cluster)) return 'canary';
  if (mapping.baselineClusters.includes(cluster)) return 'baseline';
  return undefined;
}

/** ok from an HTTP status and, when Envoy logged it, a gRPC status. */
export function isOk(responseCode: number, grpcStatus: number | undefined): boolean {
  if (isErrorStatus(responseCode)) return false;
  return grpcStatus === undefined || !GRPC_SERVER_FAILURES.has(grpcStatus);
}

/**
 * The json_format of a file access log Sluice reads (docs/adapters/envoy.md): Envoy writes the typed operators
 * (%RESPONSE_CODE%, %DURATION%, %GRPC_STATUS_NUMBER%) as JSON numbers, the others as strings ("-" when absent).
 */
export const SLUICE_ENVOY_JSON_FORMAT = {
  start_time: '%START_TIME(%s.%3f)%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  response_code: '%RESPONSE_CODE%',
  grpc_status: '%GRPC_STATUS_NUMBER%',
  duration: '%DURATION%',
  upstream_duration: '%RESPONSE_DURATION%',
} as const;

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '' || value === '-') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** start_time as epoch seconds ("1700000000.123", the format above) or as Envoy's default RFC 3339 text. */
function startTimeMs(value: unknown): number | undefined {
  const seconds = numberOf(value);
  if (seconds !== undefined) return Math.round(seconds * 1000);
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** One line of the JSON file access log → a sample, or why not. Never throws. */
export function parseEnvoyJsonLine(line: string, mapping: EnvoyAccessLogMapping): LineResult {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { kind: 'malformed', reason: 'not a JSON object' };
  const fields = record as Record<string, unknown>;
  const at = startTimeMs(fields.start_time);
  const code = numberOf(fields.response_code);
  const duration = numberOf(mapping.latencyFrom === 'upstream' ? fields.upstream_duration : fields.duration);
  if (at === undefined) return { kind: 'malformed', reason: 'no "start_time" (epoch seconds or RFC 3339)' };
  if (code === undefined) return { kind: 'malformed', reason: 'no numeric "response_code"' };
  if (duration === undefined) return { kind: 'malformed', reason: `no numeric "${mapping.latencyFrom === 'upstream' ? 'upstream_duration' : 'duration'}"` };
  const cluster = typeof fields.upstream_cluster === 'string' ? fields.upstream_cluster : '';
  const variant = classifyCluster(cluster, mapping);
  if (!variant) return { kind: 'unmatched', reason: `upstream cluster "${cluster}" is neither baseline nor candidate` };
  return { kind: 'sample', sample: { variant, at, ok: isOk(code, numberOf(fields.grpc_status)), latencyMs: duration } };
}

function durationMs(value: unknown): number | undefined {
  const d = value as { seconds?: string | number; nanos?: number } | null | undefined;
  if (!d || typeof d !== 'object') return undefined;
  const seconds = Number(d.seconds ?? 0);
  const nanos = Number(d.nanos ?? 0);
  return Number.isFinite(seconds) && Number.isFinite(nanos) ? seconds * 1000 + nanos / 1e6 : undefined;
}

/**
 * One HTTPAccessLogEntry of the gRPC access-log service (decoded, snake_case) → a sample, or why not. The gRPC status
 * is read from the logged `grpc-status` response trailer (or header, for trailers-only answers) when the ALS config
 * lists it in additional_response_trailers_to_log. Never throws.
 */
export function httpEntryToSample(entry: Record<string, unknown>, mapping: EnvoyAccessLogMapping): LineResult {
  const common = entry.common_properties as Record<string, unknown> | null | undefined;
  if (!common) return { kind: 'malformed', reason: 'no common_properties' };
  if (common.intermediate_log_entry === true) return { kind: 'unmatched', reason: 'intermediate entry of a long stream' };
  const start = common.start_time as { seconds?: string | number; nanos?: number } | null | undefined;
  const at = start ? durationMs(start) : undefined;
  const response = entry.response as Record<string, unknown> | null | undefined;
  const code = (response?.response_code as { value?: number } | null | undefined)?.value;
  const latency = mapping.latencyFrom === 'upstream' ? durationMs(common.time_to_last_upstream_rx_byte) : (durationMs(common.duration) ?? durationMs(common.time_to_last_downstream_tx_byte));
  if (at === undefined) return { kind: 'malformed', reason: 'no common_properties.start_time' };
  if (typeof code !== 'number') return { kind: 'malformed', reason: 'no response.response_code' };
  if (latency === undefined) return { kind: 'malformed', reason: mapping.latencyFrom === 'upstream' ? 'no time_to_last_upstream_rx_byte' : 'no duration or time_to_last_downstream_tx_byte' };
  const cluster = typeof common.upstream_cluster === 'string' ? common.upstream_cluster : '';
  const variant = classifyCluster(cluster, mapping);
  if (!variant) return { kind: 'unmatched', reason: `upstream cluster "${cluster}" is neither baseline nor candidate` };
  const trailers = (response?.response_trailers ?? {}) as Record<string, string>;
  const headers = (response?.response_headers ?? {}) as Record<string, string>;
  const grpcStatus = numberOf(trailers['grpc-status'] ?? headers['grpc-status']);
  return { kind: 'sample', sample: { variant, at: Math.round(at), ok: isOk(code, grpcStatus), latencyMs: Math.round(latency * 1000) / 1000 } };
}

/** Tails Envoy's JSON file access log with the shared tail. */
export function createEnvoyAccessLogTail(config: EnvoyAccessLogConfig, logger?: AdapterLogger): AccessLogTail {
  if (!config.tail) throw new Error('createEnvoyAccessLogTail needs a path');
  return createLineTail(config.tail, (line) => parseEnvoyJsonLine(line, config), logger);
}
