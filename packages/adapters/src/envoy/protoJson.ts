import type protobuf from 'protobufjs';
import { protobufJs } from './lazyDependencies.js';
import { encodeMessage, lookupMessageType, TYPE_URL_PREFIX } from './protoRoot.js';

/**
 * Envoy's configuration files are protobuf messages in the proto3 JSON mapping: field names in snake_case or
 * lowerCamelCase, durations as "1.5s", wrapper types as bare values, Struct as plain JSON, `Any` as an object with
 * `@type`. protobufjs's `fromObject` does not implement that mapping (nor reject unknown fields), so this converts a
 * JSON value into the plain shape `fromObject` takes, strictly: an unknown field, a wrong type or an unknown `@type`
 * is a problem at its path (`filter_chains[0].filters[0].typed_config.route_config`), and every problem is reported.
 */
export interface ProtoJsonProblem {
  path: string;
  message: string;
}

/** Nesting deeper than this is refused (a resource file is data from an operator; recursion must be bounded). */
const DEPTH_MAX = 64;

const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);

const INT32_TYPES = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32_TYPES = new Set(['uint32', 'fixed32']);
const INT64_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/** Converts `json` as message `type`; problems are appended to `problems` and the result is then not to be used. */
export function protoJsonToObject(type: protobuf.Type, json: unknown, path: string, problems: ProtoJsonProblem[]): Record<string, unknown> {
  return convertMessage(type, json, path, problems, 0) ?? {};
}

/** Converts a JSON `Any` (an object with `@type`) to `{ type_url, value }` with the encoded message. */
export function protoJsonToAny(json: unknown, path: string, problems: ProtoJsonProblem[]): { type_url: string; value: Uint8Array } | undefined {
  return convertAny(json, path, problems, 0);
}

function problem(problems: ProtoJsonProblem[], path: string, message: string): undefined {
  problems.push({ path: path || '(root)', message });
  return undefined;
}

function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function fieldsByJsonName(type: protobuf.Type): Map<string, protobuf.Field> {
  const byName = new Map<string, protobuf.Field>();
  for (const field of type.fieldsArray) {
    byName.set(field.name, field);
    byName.set(snakeToCamel(field.name), field);
    const jsonName = (field.options as Record<string, unknown> | undefined)?.json_name;
    if (typeof jsonName === 'string') byName.set(jsonName, field);
  }
  return byName;
}

const fieldIndexCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndexCache.get(type);
  if (!index) {
    index = fieldsByJsonName(type);
    fieldIndexCache.set(type, index);
  }
  return index;
}

function convertMessage(type: protobuf.Type, json: unknown, path: string, problems: ProtoJsonProblem[], depth: number): Record<string, unknown> | undefined {
  if (depth > DEPTH_MAX) return problem(problems, path, `nested deeper than ${DEPTH_MAX} levels`);
  const special = convertWellKnown(type, json, path, problems, depth);
  if (special !== NOT_SPECIAL) return special as Record<string, unknown> | undefined;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return problem(problems, path, `expected an object (${type.name}), got ${shown(json)}`);
  const out: Record<string, unknown> = {};
  const index = fieldIndex(type);
  const oneofsSet = new Map<string, string>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const where = path ? `${path}.${key}` : key;
    const field = index.get(key);
    if (!field) {
      problem(problems, where, `unknown field of ${type.fullName.slice(1)}`);
      continue;
    }
    if (value === null) continue; // proto3 JSON: null is the default value
    if (field.partOf) {
      const other = oneofsSet.get(field.partOf.name);
      if (other !== undefined && other !== field.name) problem(problems, where, `"${other}" and "${field.name}" are alternatives (oneof ${field.partOf.name}); set only one`);
      oneofsSet.set(field.partOf.name, field.name);
    }
    const converted = convertField(field, value, where, problems, depth);
    if (converted !== undefined) out[field.name] = converted;
  }
  return out;
}

function convertField(field: protobuf.Field, value: unknown, path: string, problems: ProtoJsonProblem[], depth: number): unknown {
  if (field.map) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return problem(problems, path, `expected an object (map), got ${shown(value)}`);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      const converted = convertSingle(field, inner, `${path}.${key}`, problems, depth);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return problem(problems, path, `expected a list, got ${shown(value)}`);
    const out: unknown[] = [];
    value.forEach((inner, i) => {
      const converted = convertSingle(field, inner, `${path}[${i}]`, problems, depth);
      if (converted !== undefined) out.push(converted);
    });
    return out;
  }
  return convertSingle(field, value, path, problems, depth);
}

function convertSingle(field: protobuf.Field, value: unknown, path: string, problems: ProtoJsonProblem[], depth: number): unknown {
  const resolved = field.resolvedType;
  const { Enum, Type } = protobufJs();
  if (resolved instanceof Type) return convertMessage(resolved, value, path, problems, depth + 1);
  if (resolved instanceof Enum) {
    if (typeof value === 'string') {
      if (resolved.values[value] === undefined) return problem(problems, path, `${shown(value)} is not one of ${Object.keys(resolved.values).join(', ')}`);
      return value;
    }
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    return problem(problems, path, `expected one of ${Object.keys(resolved.values).join(', ')}, got ${shown(value)}`);
  }
  return convertScalar(field.type, value, path, problems);
}

function convertScalar(scalar: string, value: unknown, path: string, problems: ProtoJsonProblem[]): unknown {
  if (scalar === 'string') return typeof value === 'string' ? value : problem(problems, path, `expected a string, got ${shown(value)}`);
  if (scalar === 'bool') return typeof value === 'boolean' ? value : problem(problems, path, `expected true or false, got ${shown(value)}`);
  if (scalar === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return problem(problems, path, `expected base64 text, got ${shown(value)}`);
    return Buffer.from(value, 'base64');
  }
  if (scalar === 'double' || scalar === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    return problem(problems, path, `expected a number, got ${shown(value)}`);
  }
  const integer = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (INT64_TYPES.has(scalar)) {
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return scalar.startsWith('u') || scalar.startsWith('fixed') ? checkUnsigned(value, path, problems) : value;
    if (Number.isSafeInteger(integer)) return scalar.startsWith('u') || scalar.startsWith('fixed') ? checkUnsigned(integer, path, problems) : integer;
    return problem(problems, path, `expected an integer, got ${shown(value)}`);
  }
  if (INT32_TYPES.has(scalar)) {
    if (Number.isInteger(integer) && integer >= -2_147_483_648 && integer <= 2_147_483_647) return integer;
    return problem(problems, path, `expected a 32-bit integer, got ${shown(value)}`);
  }
  if (UINT32_TYPES.has(scalar)) {
    if (Number.isInteger(integer) && integer >= 0 && integer <= 4_294_967_295) return integer;
    return problem(problems, path, `expected an unsigned 32-bit integer, got ${shown(value)}`);
  }
  return problem(problems, path, `unsupported field type ${scalar}`);
}

function checkUnsigned<T extends string | number>(value: T, path: string, problems: ProtoJsonProblem[]): T | undefined {
  return String(value).startsWith('-') ? problem(problems, path, `expected an unsigned integer, got ${shown(value)}`) : value;
}

const NOT_SPECIAL = Symbol('not a well-known type');

/** The JSON forms of the well-known types Envoy's configuration uses. */
function convertWellKnown(type: protobuf.Type, json: unknown, path: string, problems: ProtoJsonProblem[], depth: number): unknown {
  const name = type.fullName;
  if (WRAPPERS.has(name)) {
    const field = type.fields.value;
    if (!field) return NOT_SPECIAL;
    const value = convertScalar(field.type, json, path, problems);
    return value === undefined ? undefined : { value };
  }
  switch (name) {
    case '.google.protobuf.Any':
      return convertAny(json, path, problems, depth);
    case '.google.protobuf.Duration':
      return convertDuration(json, path, problems);
    case '.google.protobuf.Timestamp': {
      const ms = typeof json === 'string' ? Date.parse(json) : NaN;
      if (!Number.isFinite(ms)) return problem(problems, path, `expected an RFC 3339 time such as "2024-01-01T00:00:00Z", got ${shown(json)}`);
      return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    }
    case '.google.protobuf.Struct':
      if (json === null || typeof json !== 'object' || Array.isArray(json)) return problem(problems, path, `expected an object, got ${shown(json)}`);
      return structOf(json as Record<string, unknown>, path, problems, depth);
    case '.google.protobuf.Value':
      return valueOf(json, path, problems, depth);
    case '.google.protobuf.ListValue':
      if (!Array.isArray(json)) return problem(problems, path, `expected a list, got ${shown(json)}`);
      return { values: json.map((v, i) => valueOf(v, `${path}[${i}]`, problems, depth + 1)) };
    case '.google.protobuf.FieldMask':
      if (typeof json !== 'string') return problem(problems, path, `expected "a.b,c" (a field mask), got ${shown(json)}`);
      return { paths: json === '' ? [] : json.split(',') };
    case '.google.protobuf.Empty':
      if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length > 0) return problem(problems, path, 'expected {}');
      return {};
    default:
      return NOT_SPECIAL;
  }
}

function convertDuration(json: unknown, path: string, problems: ProtoJsonProblem[]): { seconds: number; nanos: number } | undefined {
  const match = typeof json === 'string' ? /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (!match) return problem(problems, path, `expected a duration such as "5s" or "0.250s", got ${shown(json)}`);
  const sign = match[1] ? -1 : 1;
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: sign * Number(match[2]), nanos: sign * nanos };
}

function convertAny(json: unknown, path: string, problems: ProtoJsonProblem[], depth: number): { type_url: string; value: Uint8Array } | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return problem(problems, path, `expected an object with "@type", got ${shown(json)}`);
  const { '@type': typeUrl, ...rest } = json as Record<string, unknown>;
  if (typeof typeUrl !== 'string' || !typeUrl.includes('/')) return problem(problems, `${path}.@type`, `is required: "type.googleapis.com/<message name>", got ${shown(typeUrl)}`);
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const type = lookupMessageType(typeName);
  if (!type) return problem(problems, `${path}.@type`, `${shown(typeUrl)} is not a type Sluice's xDS server knows (docs/adapters/envoy.md lists them)`);
  // A well-known type inside an Any keeps its JSON form in "value" (proto3 JSON mapping).
  const body = WRAPPERS.has(type.fullName) || type.fullName.startsWith('.google.protobuf.') ? rest.value : rest;
  const before = problems.length;
  const converted = convertMessage(type, body, path, problems, depth + 1);
  if (converted === undefined || problems.length > before) return undefined;
  return { type_url: typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl : `${TYPE_URL_PREFIX}${typeName}`, value: encodeMessage(type, converted) };
}

function structOf(json: Record<string, unknown>, path: string, problems: ProtoJsonProblem[], depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) fields[key] = valueOf(value, `${path}.${key}`, problems, depth + 1);
  return { fields };
}

function valueOf(json: unknown, path: string, problems: ProtoJsonProblem[], depth: number): Record<string, unknown> | undefined {
  if (depth > DEPTH_MAX) return problem(problems, path, `nested deeper than ${DEPTH_MAX} levels`);
  if (json === null) return { null_value: 'NULL_VALUE' };
  if (typeof json === 'number') return { number_value: json };
  if (typeof json === 'string') return { string_value: json };
  if (typeof json === 'boolean') return { bool_value: json };
  if (Array.isArray(json)) return { list_value: { values: json.map((v, i) => valueOf(v, `${path}[${i}]`, problems, depth + 1)) } };
  if (typeof json === 'object') return { struct_value: structOf(json as Record<string, unknown>, path, problems, depth) };
  return problem(problems, path, `not a JSON value: ${shown(json)}`);
}
