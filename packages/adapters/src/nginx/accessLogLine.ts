import { isErrorStatus, type Variant } from '@sluice/core';
import type { LineResult } from '../tail/accessLogTail.js';

/**
 * The log_format the access-log source reads (docs/adapters/nginx.md shows it in full). Every value is a JSON string,
 * because several nginx variables can be "-" or a list: $upstream_addr is "a, b" when nginx tried several servers
 * and "a : b" after an internal redirect to another group; the last address is the one that answered.
 */
export const SLUICE_LOG_FORMAT =
  `log_format sluice_json escape=json '{"msec":"$msec","status":"$status","request_time":"$request_time",` +
  `"upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",` +
  `"upstream_response_time":"$upstream_response_time","variant":"$sluice_variant"}';`;

export interface AccessLogMapping {
  /** Upstream addresses (host:port, or unix:/path) of the stable version, as nginx writes them in $upstream_addr. */
  baselineAddresses: readonly string[];
  /** Upstream addresses of the candidate version. */
  candidateAddresses: readonly string[];
  /** Where latency comes from: the whole request, or the time spent in upstreams (summed over attempts). */
  latencyFrom: 'request_time' | 'upstream_response_time';
  /** JSON field holding `$sluice_variant`, used when the address matches neither list; null to ignore it. */
  variantField: string | null;
}

export type { LineResult } from '../tail/accessLogTail.js';

/** Splits an $upstream_addr / $upstream_response_time value: "a, b : c" → ["a", "b", "c"]. */
export function splitUpstreamList(value: string): string[] {
  return value
    .split(/\s*[,:]\s+|\s+:\s*/)
    .map((v) => v.trim())
    .filter((v) => v !== '' && v !== '-');
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '' || value === '-') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function classifyAddress(upstreamAddr: string, mapping: AccessLogMapping): Variant | undefined {
  const addresses = splitUpstreamList(upstreamAddr);
  const answered = addresses[addresses.length - 1];
  if (answered === undefined) return undefined;
  if (mapping.candidateAddresses.includes(answered)) return 'canary';
  if (mapping.baselineAddresses.includes(answered)) return 'baseline';
  return undefined;
}

/** Turns one access-log line into a sample, or says why it is not one. Never throws. */
export function parseAccessLogLine(line: string, mapping: AccessLogMapping): LineResult {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { kind: 'malformed', reason: 'not a JSON object' };
  const fields = record as Record<string, unknown>;
  const msec = numberOf(fields.msec);
  const status = numberOf(fields.status);
  const requestTime = numberOf(fields.request_time);
  if (msec === undefined) return { kind: 'malformed', reason: 'no numeric "msec"' };
  if (status === undefined) return { kind: 'malformed', reason: 'no numeric "status"' };
  const upstreamAddr = typeof fields.upstream_addr === 'string' ? fields.upstream_addr : '';
  let variant = classifyAddress(upstreamAddr, mapping);
  if (variant === undefined && mapping.variantField !== null) {
    const named = fields[mapping.variantField];
    if (named === 'canary' || named === 'baseline') variant = named;
  }
  if (variant === undefined) return { kind: 'unmatched', reason: `upstream "${upstreamAddr}" is neither baseline nor candidate` };
  let latencySeconds = requestTime;
  if (mapping.latencyFrom === 'upstream_response_time' && typeof fields.upstream_response_time === 'string') {
    const times = splitUpstreamList(fields.upstream_response_time).map(numberOf).filter((n): n is number => n !== undefined);
    if (times.length > 0) latencySeconds = times.reduce((a, b) => a + b, 0);
  }
  if (latencySeconds === undefined) return { kind: 'malformed', reason: 'no numeric "request_time"' };
  return {
    kind: 'sample',
    sample: { variant, at: Math.round(msec * 1000), ok: !isErrorStatus(status), latencyMs: Math.round(latencySeconds * 1_000_000) / 1000 },
  };
}
