/**
 * Every expected failure of Sluice is a SluiceError with a stable `code`: this class is the one root of the errors of
 * every package (@sluice/adapters' AdapterError, @sluice/daemon's DaemonError derive from it). Callers match on
 * `code`, never on the message; the daemon maps codes to HTTP statuses in one table. Messages say what was wrong,
 * where, and what to do.
 */
export type SluiceErrorCode =
  | 'SLUICE_E_SPEC_INVALID'
  | 'SLUICE_E_SPEC_PARSE'
  | 'SLUICE_E_DURATION_INVALID'
  | 'SLUICE_E_APPEND_CONFLICT'
  | 'SLUICE_E_EVENT_INVALID'
  | 'SLUICE_E_LOG_TAMPERED'
  | 'SLUICE_E_LOG_SCHEMA'
  // the log file: another writer holds it, it is not a readable SQLite file, it is open read-only, the chain key
  | 'SLUICE_E_LOG_LOCKED'
  | 'SLUICE_E_LOG_CORRUPT'
  | 'SLUICE_E_LOG_READ_ONLY'
  | 'SLUICE_E_CHAIN_KEY'
  | 'SLUICE_E_ROLLOUT_NOT_FOUND'
  | 'SLUICE_E_ROLLOUT_EXISTS'
  | 'SLUICE_E_SAMPLE_INVALID'
  | 'SLUICE_E_COMMAND_REJECTED'
  | 'SLUICE_E_ADAPTER_OPTIONS'
  | 'SLUICE_E_ADAPTER_APPLY'
  | 'SLUICE_E_ADAPTER_READ'
  | 'SLUICE_E_TRAFFIC_MODEL_INVALID';

/** The shape of every Sluice error code; the packages' unions (SluiceErrorCode, the daemon's codes) narrow it. */
export type ErrorCodeFormat = `SLUICE_E_${string}`;

/**
 * The brand every Sluice error carries. `Symbol.for` returns the same symbol to every copy of this package in the
 * process, so an error thrown by another copy (two versions of @sluice/core installed side by side) is still
 * recognised — where `instanceof` against one copy's class would say no (undici's `Symbol.for('undici.error.UND_ERR')`).
 */
const kSluiceError = Symbol.for('sluice.error');

export class SluiceError<Code extends ErrorCodeFormat = SluiceErrorCode> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }

  /**
   * `x instanceof SluiceError` holds for a Sluice error from any copy of the package (by the brand); for subclasses
   * it is the usual prototype check. Prefer `isSluiceError` and the `code`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === SluiceError) return isSluiceError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  get [kSluiceError](): true {
    return true;
  }
}

/** One problem found in a document: where (`stages[2].weightPercent`), what was found, and what is allowed. */
export interface ValidationIssue {
  path: string;
  message: string;
  value?: unknown;
  /** 1-based line in the source document, when the document was text and the line is known. */
  line?: number;
}

/** What the message calls the document, by error code, so a user reads "invalid rollout spec", not a generic word. */
const DOCUMENT_KIND: Partial<Record<SluiceErrorCode, string>> = {
  SLUICE_E_SPEC_INVALID: 'invalid rollout spec',
  SLUICE_E_SPEC_PARSE: 'rollout spec is not valid YAML or JSON',
  SLUICE_E_TRAFFIC_MODEL_INVALID: 'invalid traffic model',
  SLUICE_E_ADAPTER_OPTIONS: 'invalid',
};

/** A spec (or traffic model, or other document) failed validation; `issues` lists every problem at once. */
export class SpecValidationError extends SluiceError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], source?: string, code: SluiceErrorCode = 'SLUICE_E_SPEC_INVALID') {
    const where = source ? `${source}: ` : '';
    const lines = issues.map((i) => `  - ${i.line ? `line ${i.line}, ` : ''}${i.path || '(root)'}: ${i.message}`);
    super(code, `${where}${DOCUMENT_KIND[code] ?? 'invalid document'}, ${issues.length} problem(s):\n${lines.join('\n')}`);
    this.name = 'SpecValidationError';
    this.issues = issues;
  }
}

/** Append expected the rollout's log to end at `expectedPosition`, but another writer got there first. */
export class AppendConflictError extends SluiceError {
  readonly rolloutId: string;
  readonly expectedPosition: number;
  readonly actualPosition: number;
  constructor(rolloutId: string, expectedPosition: number, actualPosition: number) {
    super(
      'SLUICE_E_APPEND_CONFLICT',
      `append to rollout "${rolloutId}" expected next position ${expectedPosition} but the log is at ${actualPosition}; ` +
        'another writer appended first — re-read the rollout and retry',
    );
    this.name = 'AppendConflictError';
    this.rolloutId = rolloutId;
    this.expectedPosition = expectedPosition;
    this.actualPosition = actualPosition;
  }
}

/**
 * An event is not valid: refused before it is written, or found malformed when read back. Names the rollout, the
 * position when the event is stored, the type and the offending field.
 */
export class EventInvalidError extends SluiceError {
  readonly rolloutId: string;
  readonly position: number | undefined;
  readonly type: string | undefined;
  readonly field: string;
  constructor(where: { rolloutId: string; position?: number; type?: string; field: string }, problem: string) {
    const at = where.position === undefined ? '' : ` position ${where.position}`;
    const type = where.type === undefined ? '' : ` (${where.type})`;
    super('SLUICE_E_EVENT_INVALID', `rollout "${where.rolloutId}"${at} event${type}: ${where.field}: ${problem}`);
    this.name = 'EventInvalidError';
    this.rolloutId = where.rolloutId;
    this.position = where.position;
    this.type = where.type;
    this.field = where.field;
  }
}

/** The hash chain of a rollout does not verify: the log was edited outside Sluice. */
export class LogTamperedError extends SluiceError {
  readonly rolloutId: string;
  readonly position: number;
  constructor(rolloutId: string, position: number, detail: string) {
    super('SLUICE_E_LOG_TAMPERED', `rollout "${rolloutId}" position ${position}: ${detail}`);
    this.name = 'LogTamperedError';
    this.rolloutId = rolloutId;
    this.position = position;
  }
}

export class RolloutNotFoundError extends SluiceError {
  readonly rolloutId: string;
  constructor(rolloutId: string) {
    super('SLUICE_E_ROLLOUT_NOT_FOUND', `no rollout "${rolloutId}" in this log — list rollouts to see the ids it holds`);
    this.name = 'RolloutNotFoundError';
    this.rolloutId = rolloutId;
  }
}

/** A rollout with this id is already in the log: ids are unique per log. */
export class RolloutExistsError extends SluiceError {
  readonly rolloutId: string;
  constructor(rolloutId: string, options?: { cause?: unknown }) {
    super(
      'SLUICE_E_ROLLOUT_EXISTS',
      `rollout "${rolloutId}" already exists in this log; load it to continue it, or give the new rollout another id`,
      options,
    );
    this.name = 'RolloutExistsError';
    this.rolloutId = rolloutId;
  }
}

/**
 * Whether `value` is an error of any Sluice package, from any copy of it (the brand, not the prototype chain). Its
 * `code` may be one this copy does not know; match it against the codes you handle.
 */
export function isSluiceError(value: unknown): value is SluiceError<ErrorCodeFormat> {
  return typeof value === 'object' && value !== null && (value as { [kSluiceError]?: unknown })[kSluiceError] === true;
}

/** A coded validation error (spec, traffic model, adapter options) with its list of `issues`, from any copy. */
export function isValidationError(value: unknown): value is SpecValidationError {
  return isSluiceError(value) && Array.isArray((value as { issues?: unknown }).issues);
}
