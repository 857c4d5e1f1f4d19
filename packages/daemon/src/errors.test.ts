import { SluiceError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { DaemonError, HTTP_STATUS_BY_CODE, httpStatusOf } from './errors.js';

// Every code known at build time; the type checks that each listed string is a real code.
const CORE_CODES: SluiceError['code'][] = [
  'SLUICE_E_SPEC_INVALID', 'SLUICE_E_SPEC_PARSE', 'SLUICE_E_DURATION_INVALID', 'SLUICE_E_APPEND_CONFLICT', 'SLUICE_E_EVENT_INVALID',
  'SLUICE_E_LOG_TAMPERED', 'SLUICE_E_LOG_SCHEMA', 'SLUICE_E_ROLLOUT_NOT_FOUND', 'SLUICE_E_ROLLOUT_EXISTS', 'SLUICE_E_SAMPLE_INVALID',
  'SLUICE_E_COMMAND_REJECTED', 'SLUICE_E_ADAPTER_OPTIONS', 'SLUICE_E_ADAPTER_APPLY', 'SLUICE_E_ADAPTER_READ', 'SLUICE_E_TRAFFIC_MODEL_INVALID',
];
const DAEMON_CODES: DaemonError['code'][] = [
  'SLUICE_E_CONFIG_INVALID', 'SLUICE_E_LISTEN_NOT_LOOPBACK', 'SLUICE_E_TOKEN_FILE', 'SLUICE_E_UNAUTHORIZED', 'SLUICE_E_ROUTE_NOT_FOUND',
  'SLUICE_E_METHOD_NOT_ALLOWED', 'SLUICE_E_BODY_TOO_LARGE', 'SLUICE_E_BODY_INVALID', 'SLUICE_E_SPEC_CONFLICT',
  'SLUICE_E_ROLLOUT_TERMINAL', 'SLUICE_E_NOT_READY', 'SLUICE_E_INGEST_OVERLOADED', 'SLUICE_E_JOURNAL', 'SLUICE_E_WEIGHT_DRIFT', 'SLUICE_E_DAEMON_UNREACHABLE',
  'SLUICE_E_DAEMON_RESPONSE', 'SLUICE_E_INTERNAL', 'SLUICE_E_ARGUMENT_INVALID',
];

describe('the one table from error codes to HTTP statuses', () => {
  it('lists every core and daemon code with a real HTTP status', () => {
    for (const code of [...CORE_CODES, ...DAEMON_CODES]) {
      const status = HTTP_STATUS_BY_CODE[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('maps errors by code, and anything uncoded to 500', () => {
    expect(httpStatusOf(new DaemonError('SLUICE_E_UNAUTHORIZED', 'no'))).toBe(401);
    expect(httpStatusOf(new SluiceError('SLUICE_E_ROLLOUT_NOT_FOUND', 'no'))).toBe(404);
    expect(httpStatusOf(new DaemonError('SLUICE_E_SPEC_CONFLICT', 'no'))).toBe(409);
    expect(httpStatusOf(new TypeError('bug'))).toBe(500);
  });
});
