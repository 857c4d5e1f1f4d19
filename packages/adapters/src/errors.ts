import { boundedIssues, formatPath, listed, shownValue, SluiceError, SpecValidationError, valueAtPath, type SluiceErrorCode, type ValidationIssue } from '@sluice/core';
import type { z } from 'zod';

/**
 * Errors of @sluice/adapters. Every one is a core SluiceError with a stable code, so the daemon maps them like any
 * other: SLUICE_E_ADAPTER_OPTIONS (bad or unknown adapter configuration), SLUICE_E_ADAPTER_APPLY (a weight could not
 * be applied and verified; the last known good configuration was restored), SLUICE_E_ADAPTER_READ (what is in force
 * could not be read back).
 */
export class AdapterError extends SluiceError {
  readonly adapterType: string;
  /** The traffic layer's own words, when it gave any (nginx's `nginx -t` output, an HTTP body). */
  readonly detail: string | undefined;
  constructor(code: SluiceErrorCode, adapterType: string, message: string, options?: { cause?: unknown; detail?: string }) {
    super(code, `${adapterType} adapter: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdapterError';
    this.adapterType = adapterType;
    this.detail = options?.detail;
  }
}

export function applyError(adapterType: string, message: string, options?: { cause?: unknown; detail?: string }): AdapterError {
  return new AdapterError('SLUICE_E_ADAPTER_APPLY', adapterType, message, options);
}

export function readError(adapterType: string, message: string, options?: { cause?: unknown; detail?: string }): AdapterError {
  return new AdapterError('SLUICE_E_ADAPTER_READ', adapterType, message, options);
}

/** Where options sit in the spec, for messages: adapters by default; a source (e.g. `sources.accessLog`) says so. */
export interface OptionsLocation {
  /** What the message calls the options. Default `<adapterType> adapter options`. */
  label?: string;
  /** Spec path of the options object. Default `adapter.options`. */
  pathPrefix?: readonly PropertyKey[];
}

/**
 * Validates adapter (or source) options with a zod schema. On failure throws a SpecValidationError with code
 * SLUICE_E_ADAPTER_OPTIONS listing every problem at its spec path (`adapter.options.hashKey.kind`,
 * `sources.accessLog.path`), what is allowed, and what was given.
 */
export function parseAdapterOptions<S extends z.ZodType>(adapterType: string, schema: S, options: unknown, location: OptionsLocation = {}): z.output<S> {
  const input = options ?? {};
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({
    path: formatPath([...(location.pathPrefix ?? ['adapter', 'options']), ...issue.path]),
    message: describeIssue(issue, valueAtPath(input, issue.path)),
  }));
  throw new SpecValidationError(boundedIssues(issues), location.label ?? `${adapterType} adapter options`, 'SLUICE_E_ADAPTER_OPTIONS');
}

// zod does not report the offending input by default, so the value is looked up in the options themselves.
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown option(s) ${listed(issue.keys)}; remove them or check the spelling in the adapter docs`;
    case 'invalid_value':
      return `${issue.message}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      // shownValue: bounded, escaped, and Infinity as itself (JSON.stringify printed `null`).
      return value === undefined ? `is required (${issue.expected})` : `${issue.message} (got ${shownValue(value)})`;
    default:
      return issue.message;
  }
}
