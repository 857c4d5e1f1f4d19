import type { z } from 'zod';
import type { ValidationIssue } from '../errors.js';

/** Formats a path as users write it: `stages[2].weightPercent`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The value found at `path` in `input`, or `undefined` when the path does not exist. */
export function valueAtPath(input: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Turns zod's issues for `input` into ValidationIssues that name the path (prefixed with `pathPrefix` when the object
 * sits inside a larger document, e.g. `sources.prometheus`), say what was wrong and show what was given. The spec, the
 * traffic model and the Prometheus source config all report this way.
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], input: unknown, pathPrefix: readonly PropertyKey[] = []): ValidationIssue[] {
  return issues.map((issue) => {
    const value = valueAtPath(input, issue.path);
    const shown = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
    return { path: formatPath([...pathPrefix, ...issue.path]), message: `${issue.message} (${shown})`, value };
  });
}
