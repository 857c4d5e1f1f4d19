/**
 * Canonical JSON: object keys sorted, no whitespace, so the same content always hashes the same whoever wrote it.
 * Serialising also validates: only what survives a JSON round trip unchanged is accepted, so the data the machine
 * folded in memory is exactly the data a replay reads back. Properties whose value is `undefined` are dropped (as
 * JSON.stringify does, so optional fields may be left undefined); anything else JSON would change or lose is refused.
 */

/** Nesting deeper than this is refused; it also stops cycles. Event data is a few levels deep. */
export const CANONICAL_JSON_DEPTH_MAX = 64;

/** Thrown by canonicalJson; `path` is the offending field (`data.evidence.rate`). Callers wrap it in a typed error. */
export class NotJsonError extends Error {
  readonly path: string;
  readonly problem: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'NotJsonError';
    this.path = path;
    this.problem = problem;
  }
}

/** Internal: carries the path segments up while unwinding, so the hot path never builds path strings. */
class Refusal {
  readonly segments: string[] = [];
  constructor(readonly problem: string) {}
}

export function canonicalJson(value: unknown, path = 'value'): string {
  try {
    return write(value, 0);
  } catch (error) {
    if (error instanceof Refusal) throw new NotJsonError(path + error.segments.reverse().join(''), error.problem);
    throw error;
  }
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(`${value} is not a finite number (JSON has no NaN or Infinity)`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= CANONICAL_JSON_DEPTH_MAX) throw new Refusal(`nested deeper than ${CANONICAL_JSON_DEPTH_MAX} levels (a cycle?)`);
      return Array.isArray(value) ? writeArray(value, depth) : writeObject(value, depth);
    default:
      throw new Refusal(`a ${typeof value} is not JSON (use a string, finite number, boolean, null, array or plain object)`);
  }
}

function writeArray(items: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    try {
      if (item === undefined) throw new Refusal('undefined in an array would be read back as null');
      out += (i === 0 ? '' : ',') + write(item, depth + 1);
    } catch (error) {
      if (error instanceof Refusal) error.segments.push(`[${i}]`);
      throw error;
    }
  }
  return out + ']';
}

function writeObject(object: object, depth: number): string {
  const prototype = Object.getPrototypeOf(object) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new Refusal(`a ${name} is not a plain object and would not read back the same`);
  }
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    try {
      out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + write(item, depth + 1);
    } catch (error) {
      if (error instanceof Refusal) error.segments.push(`.${key}`);
      throw error;
    }
  }
  return out + '}';
}
