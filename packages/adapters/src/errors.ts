import { SluiceError, SpecValidationError, type SluiceErrorCode, type ValidationIssue } from '@sluice/core';
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

/**
 * Validates adapter options with a zod schema. On failure throws a SpecValidationError with code
 * SLUICE_E_ADAPTER_OPTIONS listing every problem at its path (`adapter.options.hashKey.kind`) and what is allowed.
 */
export function parseAdapterOptions<S extends z.ZodType>(adapterType: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = parsed.error.issues.map((issue) => ({
    path: ['adapter', 'options', ...issue.path].map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join(''),
    message: describeIssue(issue),
  }));
  throw new SpecValidationError(issues, `${adapterType} adapter options`, 'SLUICE_E_ADAPTER_OPTIONS');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or check the spelling in the adapter docs`;
    case 'invalid_value':
      return `${issue.message}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : issue.message;
    default:
      return issue.message;
  }
}
