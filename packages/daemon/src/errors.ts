import { isSluiceError, SluiceError, type SluiceErrorCode } from '@sluice/core/replay';

/**
 * Every expected failure of the daemon and the CLI is a DaemonError with a stable `code`, a SluiceError like those of
 * core and the adapters (one root, recognised by `isSluiceError` across package copies). `httpStatusOf` maps every
 * code to an HTTP status in one table (tRPC's getHTTPStatusCode). Messages say what was wrong, where, and what to do.
 */
export type DaemonErrorCode =
  | 'SLUICE_E_CONFIG_INVALID'
  | 'SLUICE_E_LISTEN_NOT_LOOPBACK'
  | 'SLUICE_E_TOKEN_FILE'
  | 'SLUICE_E_UNAUTHORIZED'
  | 'SLUICE_E_ROUTE_NOT_FOUND'
  | 'SLUICE_E_METHOD_NOT_ALLOWED'
  | 'SLUICE_E_BODY_TOO_LARGE'
  | 'SLUICE_E_BODY_INVALID'
  | 'SLUICE_E_SPEC_CONFLICT'
  // a rollout whose log could not be loaded at start, set aside so that the others run (RolloutRuntime.quarantine)
  | 'SLUICE_E_ROLLOUT_QUARANTINED'
  | 'SLUICE_E_ROLLOUT_TERMINAL'
  | 'SLUICE_E_NOT_READY'
  | 'SLUICE_E_INGEST_OVERLOADED'
  | 'SLUICE_E_JOURNAL'
  | 'SLUICE_E_WEIGHT_DRIFT'
  | 'SLUICE_E_DAEMON_UNREACHABLE'
  | 'SLUICE_E_DAEMON_RESPONSE'
  | 'SLUICE_E_INTERNAL'
  // CLI: a flag's value is not valid (e.g. `sluice audit --at`)
  | 'SLUICE_E_ARGUMENT_INVALID'
  // pull sources and notifications (sources/, notify/)
  | 'SLUICE_E_PROMETHEUS_TOKEN_MISSING'
  | 'SLUICE_E_PROMETHEUS_UNREACHABLE'
  | 'SLUICE_E_PROMETHEUS_QUERY'
  | 'SLUICE_E_PROMETHEUS_NO_DATA'
  | 'SLUICE_E_WEBHOOK_DELIVERY'
  | 'SLUICE_E_WEBHOOK_SECRET_MISSING';

export class DaemonError extends SluiceError<DaemonErrorCode> {
  /** Extra fields returned in the HTTP error body (e.g. the rejected lines of a batch). */
  readonly details: Record<string, unknown> | undefined;
  constructor(code: DaemonErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.details = options?.details;
  }
}

/** Whether `value` is a DaemonError of this copy of the daemon. For errors of any package, use `isSluiceError` and the code. */
export function isDaemonError(value: unknown): value is DaemonError {
  return value instanceof DaemonError;
}

/** Every code of every package: core's (adapters use core's) and the daemon's. */
export type ErrorCode = SluiceErrorCode | DaemonErrorCode;

/**
 * The one table from error code to HTTP status. The compiler checks it lists every code (`satisfies`): a new code in
 * core or the daemon does not build until it has its status here.
 */
export const HTTP_STATUS_BY_CODE = {
  // core
  SLUICE_E_SPEC_PARSE: 400,
  SLUICE_E_SPEC_INVALID: 422,
  SLUICE_E_DURATION_INVALID: 400,
  SLUICE_E_APPEND_CONFLICT: 409,
  SLUICE_E_EVENT_INVALID: 500,
  SLUICE_E_LOG_TAMPERED: 500,
  SLUICE_E_LOG_SCHEMA: 500,
  SLUICE_E_LOG_LOCKED: 500,
  SLUICE_E_LOG_CORRUPT: 500,
  // a daemon started --read-only serves reads and refuses every write until it is restarted without the flag
  SLUICE_E_LOG_READ_ONLY: 503,
  SLUICE_E_CHAIN_KEY: 500,
  SLUICE_E_ROLLOUT_NOT_FOUND: 404,
  SLUICE_E_ROLLOUT_EXISTS: 409,
  SLUICE_E_SAMPLE_INVALID: 400,
  SLUICE_E_COMMAND_REJECTED: 409,
  SLUICE_E_ADAPTER_OPTIONS: 422,
  SLUICE_E_ADAPTER_APPLY: 502,
  SLUICE_E_ADAPTER_READ: 502,
  SLUICE_E_TRAFFIC_MODEL_INVALID: 422,
  // daemon
  SLUICE_E_CONFIG_INVALID: 500,
  SLUICE_E_LISTEN_NOT_LOOPBACK: 500,
  SLUICE_E_TOKEN_FILE: 500,
  SLUICE_E_UNAUTHORIZED: 401,
  SLUICE_E_ROUTE_NOT_FOUND: 404,
  SLUICE_E_METHOD_NOT_ALLOWED: 405,
  SLUICE_E_BODY_TOO_LARGE: 413,
  SLUICE_E_BODY_INVALID: 400,
  SLUICE_E_SPEC_CONFLICT: 409,
  SLUICE_E_ROLLOUT_QUARANTINED: 409,
  SLUICE_E_ROLLOUT_TERMINAL: 409,
  SLUICE_E_NOT_READY: 503,
  SLUICE_E_INGEST_OVERLOADED: 503,
  SLUICE_E_JOURNAL: 500,
  SLUICE_E_WEIGHT_DRIFT: 502,
  SLUICE_E_DAEMON_UNREACHABLE: 502,
  SLUICE_E_DAEMON_RESPONSE: 502,
  SLUICE_E_INTERNAL: 500,
  SLUICE_E_ARGUMENT_INVALID: 400,
  SLUICE_E_PROMETHEUS_TOKEN_MISSING: 500,
  SLUICE_E_PROMETHEUS_UNREACHABLE: 502,
  SLUICE_E_PROMETHEUS_QUERY: 502,
  SLUICE_E_PROMETHEUS_NO_DATA: 503,
  SLUICE_E_WEBHOOK_DELIVERY: 502,
  SLUICE_E_WEBHOOK_SECRET_MISSING: 500,
} as const satisfies Record<ErrorCode, number>;

/** The HTTP status of any thrown value: its code's status, or 500 for anything that is not a coded error. */
export function httpStatusOf(error: unknown): number {
  const code = codeOf(error);
  return code === undefined ? 500 : HTTP_STATUS_BY_CODE[code];
}

/** Whether `code` is one this build knows (another copy of a package may throw codes this one does not). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}

/** The stable code of a Sluice error of any package, or undefined for anything else (or a code this build does not know). */
export function codeOf(error: unknown): ErrorCode | undefined {
  return isSluiceError(error) && isErrorCode(error.code) ? error.code : undefined;
}
