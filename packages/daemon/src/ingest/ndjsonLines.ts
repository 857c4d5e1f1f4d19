import type { Variant } from '@sluice/core';

/** One refused line of an NDJSON body. */
export interface RejectedLine {
  /** 1-based line number in the request body. */
  line: number;
  reason: string;
}

/** Variant names a producer may send; `candidate` and `stable` are aliases. */
export const VARIANT_NAMES: Readonly<Record<string, Variant>> = { canary: 'canary', baseline: 'baseline', candidate: 'canary', stable: 'baseline' };

/** A value as it appears in a reason: JSON, bounded so one huge field cannot bloat the answer. */
export function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

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
