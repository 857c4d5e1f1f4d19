import { describe, expect, it } from 'vitest';
import { classifyAddress, parseAccessLogLine, splitUpstreamList, type AccessLogMapping } from './accessLogLine.js';

const mapping: AccessLogMapping = { baselineAddresses: ['127.0.0.1:8081'], candidateAddresses: ['127.0.0.1:8082'], latencyFrom: 'request_time', variantField: 'variant' };
const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ msec: '1700000000.123', status: '200', request_time: '0.005', upstream_addr: '127.0.0.1:8082', upstream_response_time: '0.004', variant: 'canary', ...fields });

describe('access-log line', () => {
  it('turns a sluice_json line into a sample with nginx time, status and latency', () => {
    expect(parseAccessLogLine(line({}), mapping)).toEqual({ kind: 'sample', sample: { variant: 'canary', at: 1_700_000_000_123, ok: true, latencyMs: 5 } });
    expect(parseAccessLogLine(line({ status: '502', upstream_addr: '127.0.0.1:8081', variant: '' }), mapping)).toMatchObject({ sample: { variant: 'baseline', ok: false } });
    expect(parseAccessLogLine(line({ status: 504 }), mapping)).toMatchObject({ sample: { ok: false } });
  });

  it('maps upstream lists by the address that answered last', () => {
    expect(splitUpstreamList('127.0.0.1:8081, 127.0.0.1:8082 : unix:/tmp/x.sock')).toEqual(['127.0.0.1:8081', '127.0.0.1:8082', 'unix:/tmp/x.sock']);
    expect(splitUpstreamList('-')).toEqual([]);
    expect(classifyAddress('127.0.0.1:8082, 127.0.0.1:8081', mapping)).toBe('baseline');
    expect(classifyAddress('127.0.0.1:8081 : 127.0.0.1:8082', mapping)).toBe('canary');
    expect(classifyAddress('', mapping)).toBeUndefined();
  });

  it('falls back to the variant field, else reports the line as unmatched', () => {
    expect(parseAccessLogLine(line({ upstream_addr: '10.0.0.9:80' }), mapping)).toMatchObject({ kind: 'sample', sample: { variant: 'canary' } });
    expect(parseAccessLogLine(line({ upstream_addr: '-', variant: '' }), mapping).kind).toBe('unmatched');
    expect(parseAccessLogLine(line({ upstream_addr: '-' }), { ...mapping, variantField: null }).kind).toBe('unmatched');
  });

  it('sums upstream response times over attempts when asked', () => {
    const m = { ...mapping, latencyFrom: 'upstream_response_time' as const };
    expect(parseAccessLogLine(line({ upstream_response_time: '0.002, 0.0035' }), m)).toMatchObject({ sample: { latencyMs: 5.5 } });
    expect(parseAccessLogLine(line({ upstream_response_time: '-' }), m)).toMatchObject({ sample: { latencyMs: 5 } });
  });

  it('reports malformed lines with a reason instead of throwing', () => {
    expect(parseAccessLogLine('{"msec":', mapping)).toEqual({ kind: 'malformed', reason: 'not JSON' });
    expect(parseAccessLogLine('[1]', mapping)).toEqual({ kind: 'malformed', reason: 'not a JSON object' });
    expect(parseAccessLogLine(line({ status: '-' }), mapping)).toEqual({ kind: 'malformed', reason: 'no numeric "status"' });
    expect(parseAccessLogLine(line({ msec: undefined }), mapping).kind).toBe('malformed');
    expect(parseAccessLogLine(line({ request_time: 'x' }), mapping).kind).toBe('malformed');
  });
});
