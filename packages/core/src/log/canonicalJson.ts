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
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'NotJsonError';
    this.path = path;
  }
}

export function canonicalJson(value: unknown, path = 'value'): string {
  return write(value, path, 0);
}

function write(value: unknown, path: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(path, `${value} is not a finite number (JSON has no NaN or Infinity)`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= CANONICAL_JSON_DEPTH_MAX) throw new NotJsonError(path, `nested deeper than ${CANONICAL_JSON_DEPTH_MAX} levels (a cycle?)`);
      return Array.isArray(value) ? writeArray(value, path, depth) : writeObject(value, path, depth);
    default:
      throw new NotJsonError(path, `a ${typeof value} is not JSON (use a string, finite number, boolean, null, array or plain object)`);
  }
}

function writeArray(items: readonly unknown[], path: string, depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined) throw new NotJsonError(`${path}[${i}]`, 'undefined in an array would be read back as null');
    out += (i === 0 ? '' : ',') + write(item, `${path}[${i}]`, depth + 1);
  }
  return out + ']';
}

function writeObject(object: object, path: string, depth: number): string {
  const prototype = Object.getPrototypeOf(object) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new NotJsonError(path, `a ${name} is not a plain object and would not read back the same`);
  }
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + write(item, `${path}.${key}`, depth + 1);
    first = false;
  }
  return out + '}';
}
