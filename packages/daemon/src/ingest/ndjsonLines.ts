import { JSON_DEPTH_MAX, jsonDepthProblem, shownValue, type Variant } from '@sluice/core';

/** One refused line of an NDJSON body. */
export interface RejectedLine {
  /** 1-based line number in the request body. */
  line: number;
  reason: string;
}

/** Variant names a producer may send; `candidate` and `stable` are aliases. */
export const VARIANT_NAMES: Readonly<Record<string, Variant>> = { canary: 'canary', baseline: 'baseline', candidate: 'canary', stable: 'baseline' };

/** The variant a line names, or undefined. Own properties only: "constructor" must not find Object.prototype's. */
export function variantNamed(name: unknown): Variant | undefined {
  return typeof name === 'string' && Object.hasOwn(VARIANT_NAMES, name) ? VARIANT_NAMES[name] : undefined;
}

/**
 * A value as it appears in a reason: JSON-like, bounded so one huge or deeply nested field cannot bloat the answer
 * or exhaust the stack, with Infinity shown as itself rather than JSON's `null`.
 */
export function shown(value: unknown): string {
  return shownValue(value, 80);
}

/**
 * Lines longer than this have their nesting checked before JSON.parse. A line nested deeper than JSON_DEPTH_MAX needs
 * more than twice as many characters, and real sample lines are about 70, so the common line skips the scan.
 */
const DEPTH_CHECKED_LINE_CHARS = 1_024;

/**
 * Parses an NDJSON body line by line without splitting it into an array first (bodies go up to 16 MiB). Blank lines
 * are skipped; a line that is not JSON, or that `toItem` refuses by returning a reason, is rejected with its 1-based
 * number — the other lines are kept (docs/api.md "Partial acceptance").
 */
export function parseNdjsonLines<T>(text: string, toItem: (value: unknown, line: number) => T | string): { items: T[]; rejected: RejectedLine[] } {
  const items: T[] = [];
  const rejected: RejectedLine[] = [];
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') continue;
    if (raw.length > DEPTH_CHECKED_LINE_CHARS) {
      const tooDeep = jsonDepthProblem(raw, JSON_DEPTH_MAX);
      if (tooDeep) {
        rejected.push({ line, reason: `${tooDeep}; a line is one flat JSON object` });
        continue;
      }
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      rejected.push({ line, reason: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const result = toItem(value, line);
    if (typeof result === 'string') rejected.push({ line, reason: result });
    else items.push(result);
  }
  return { items, rejected };
}
