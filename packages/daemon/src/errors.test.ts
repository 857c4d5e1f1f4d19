import { SluiceError } from '@sluice/core';
import { AdapterError } from '@sluice/adapters';
import { describe, expect, it } from 'vitest';
import { codeOf, DaemonError, HTTP_STATUS_BY_CODE, httpStatusOf, isErrorCode } from './errors.js';

describe('the one table from error codes to HTTP statuses', () => {
  // That every code has a status is checked by the compiler (`satisfies Record<ErrorCode, number>`).
  it('gives every code a real HTTP error status', () => {
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE)) {
      expect(code).toMatch(/^SLUICE_E_[A-Z_]+$/);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('maps errors of every package by code, and anything uncoded or unknown to 500', () => {
    expect(httpStatusOf(new DaemonError('SLUICE_E_UNAUTHORIZED', 'no'))).toBe(401);
    expect(httpStatusOf(new SluiceError('SLUICE_E_ROLLOUT_NOT_FOUND', 'no'))).toBe(404);
    expect(httpStatusOf(new AdapterError('SLUICE_E_ADAPTER_APPLY', 'nginx', 'no'))).toBe(502);
    expect(httpStatusOf(new DaemonError('SLUICE_E_SPEC_CONFLICT', 'no'))).toBe(409);
    expect(httpStatusOf(new TypeError('bug'))).toBe(500);
    // A code from a newer copy of a package that this build does not know is not trusted with a status.
    expect(httpStatusOf(new SluiceError('SLUICE_E_FROM_THE_FUTURE' as never, 'no'))).toBe(500);
    expect(codeOf(new SluiceError('SLUICE_E_FROM_THE_FUTURE' as never, 'no'))).toBeUndefined();
    expect(isErrorCode('toString')).toBe(false);
  });

  it('derives DaemonError from the one root', () => {
    const error = new DaemonError('SLUICE_E_NOT_READY', 'starting', { details: { retryAfterMs: 100 } });
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.code).toBe('SLUICE_E_NOT_READY');
    expect(error.details).toEqual({ retryAfterMs: 100 });
  });
});
