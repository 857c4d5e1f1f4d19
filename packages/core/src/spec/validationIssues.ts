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
 * A value as a message shows it: JSON-like, but `Infinity`, `-Infinity` and `NaN` as themselves (JSON.stringify would
 * print `null`, which reads as "missing"), control characters escaped, and at most `charsMax` characters with `...`
 * after a cut. It never recurses more than a few levels or walks more than it prints, so any value is safe to show.
 */
export function shownValue(value: unknown, charsMax = 80): string {
  let out = '';
  const write = (node: unknown, depth: number): void => {
    if (out.length > charsMax) return;
    if (typeof node === 'number') out += Number.isFinite(node) ? JSON.stringify(node) : String(node);
    else if (typeof node === 'string') out += JSON.stringify(node.length > charsMax ? node.slice(0, charsMax + 1) : node).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    else if (node === undefined) out += 'undefined';
    else if (typeof node === 'bigint') out += `${node}n`;
    else if (node === null || typeof node !== 'object') out += String(node);
    else if (depth >= 4) out += Array.isArray(node) ? '[...]' : '{...}';
    else if (Array.isArray(node)) {
      out += '[';
      for (let i = 0; i < node.length && out.length <= charsMax; i++) {
        if (i > 0) out += ',';
        write(node[i], depth + 1);
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const key in node) {
        if (out.length > charsMax) break;
        if (!first) out += ',';
        first = false;
        write(key, depth + 1);
        out += ':';
        write((node as Record<string, unknown>)[key], depth + 1);
      }
      out += '}';
    }
  };
  write(value, 0);
  return out.length > charsMax ? `${out.slice(0, charsMax - 3)}...` : out;
}

/**
 * The value kept in a ValidationIssue (and so in an HTTP answer): the value itself when it is a short string, a
 * finite number, a boolean or null; otherwise how a message shows it, so an answer never echoes a megabyte back and
 * never turns Infinity into null.
 */
export function issueValue(value: unknown): unknown {
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value === 'string' && value.length <= 200) return value;
  return shownValue(value, 200);
}

/**
 * Turns zod's issues for `input` into ValidationIssues that name the path (prefixed with `pathPrefix` when the object
 * sits inside a larger document, e.g. `sources.prometheus`), say what was wrong and show what was given. The spec, the
 * traffic model and the Prometheus source config all report this way.
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[], input: unknown, pathPrefix: readonly PropertyKey[] = []): ValidationIssue[] {
  return issues.map((issue) => {
    const value = valueAtPath(input, issue.path);
    const shown = issue.code === 'unrecognized_keys' ? `unknown field(s) ${listed(issue.keys)}` : value === undefined ? 'missing' : `got ${shownValue(value)}`;
    return { path: formatPath([...pathPrefix, ...issue.path]), message: `${issue.message} (${shown})`, value: issueValue(value) };
  });
}

/** Keys as a message lists them: the first few, then how many more, so a document of 3,000 unknown keys stays short. */
export function listed(keys: readonly PropertyKey[], shownMax = 10): string {
  const head = keys.slice(0, shownMax).map((k) => shownValue(k, 40)).join(', ');
  return keys.length > shownMax ? `${head} and ${keys.length - shownMax} more` : head;
}

/** Problems one refusal lists; past this the rest are counted, so an answer stays small whatever was sent. */
export const ISSUES_LISTED_MAX = 50;

/** The first ISSUES_LISTED_MAX issues, and one more saying how many were left out. */
export function boundedIssues<T extends { path: string; message: string }>(issues: readonly T[]): (T | { path: string; message: string })[] {
  if (issues.length <= ISSUES_LISTED_MAX) return [...issues];
  return [...issues.slice(0, ISSUES_LISTED_MAX), { path: '', message: `and ${issues.length - ISSUES_LISTED_MAX} more problems, not listed` }];
}
