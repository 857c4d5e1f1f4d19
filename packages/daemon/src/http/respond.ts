import type { ServerResponse } from 'node:http';
import { isSluiceError, isValidationError } from '@sluice/core';
import { codeOf, DaemonError, httpStatusOf } from '../errors.js';

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * The error body every endpoint answers with: `{"error":{"code","message",...details}}`. The status comes from the
 * one table in errors.ts; unknown errors are 500 with a generic message (the stack goes to the log, not the client).
 */
export function errorBody(error: unknown): { status: number; body: { error: Record<string, unknown> } } {
  const status = httpStatusOf(error);
  const code = codeOf(error) ?? 'SLUICE_E_INTERNAL';
  const known = isSluiceError(error);
  const body: Record<string, unknown> = { code, message: known ? (error as Error).message : 'internal error; see the daemon log' };
  if (error instanceof DaemonError && error.details) Object.assign(body, error.details);
  if (isValidationError(error)) body.issues = error.issues;
  return { status, body: { error: body } };
}
