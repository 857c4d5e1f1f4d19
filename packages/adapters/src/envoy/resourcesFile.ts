import { readFileSync, statSync } from 'node:fs';
import { SpecValidationError, type ValidationIssue } from '@sluice/core';
import type protobuf from 'protobufjs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { protoJsonToObject, type ProtoJsonProblem } from './protoJson.js';
import {
  CDS_TYPE_URL,
  CLUSTER_LOAD_ASSIGNMENT_TYPE,
  CLUSTER_TYPE,
  EDS_TYPE_URL,
  encodeMessage,
  LDS_TYPE_URL,
  LISTENER_TYPE,
  messageType,
  RDS_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE,
  TYPE_URL_PREFIX,
  type XdsTypeUrl,
} from './protoRoot.js';

/** A resources file larger than this is refused (it is read at every apply). */
export const RESOURCES_FILE_BYTES_MAX = 4 * 1024 * 1024;
/** Resources in one file at most. */
export const RESOURCES_MAX = 2_000;

/** One xDS resource as served: its type, name, encoded bytes, and the plain object it was encoded from. */
export interface XdsResource {
  typeUrl: XdsTypeUrl;
  name: string;
  bytes: Uint8Array;
  /** The message as protobufjs takes it (snake_case fields); route templates are rewritten from it. */
  object: Record<string, unknown>;
}

/** What a cluster needs before traffic may go to it: its CDS resource and, for an ADS-fed EDS cluster, its endpoints. */
export interface ClusterInfo {
  name: string;
  /** The ClusterLoadAssignment name the cluster reads over ADS (EDS clusters only). */
  edsServiceName?: string;
}

export interface ResourceSet {
  /** Source file, for messages. */
  file: string;
  /** Every resource of the file, by type URL then name. */
  resources: Map<XdsTypeUrl, Map<string, XdsResource>>;
  clusters: Map<string, ClusterInfo>;
}

const TYPES: Record<string, { typeUrl: XdsTypeUrl; typeName: string; nameField: string }> = {
  [LDS_TYPE_URL]: { typeUrl: LDS_TYPE_URL, typeName: LISTENER_TYPE, nameField: 'name' },
  [RDS_TYPE_URL]: { typeUrl: RDS_TYPE_URL, typeName: ROUTE_CONFIGURATION_TYPE, nameField: 'name' },
  [CDS_TYPE_URL]: { typeUrl: CDS_TYPE_URL, typeName: CLUSTER_TYPE, nameField: 'name' },
  [EDS_TYPE_URL]: { typeUrl: EDS_TYPE_URL, typeName: CLUSTER_LOAD_ASSIGNMENT_TYPE, nameField: 'cluster_name' },
};

/** Short names of the resource types for messages. */
export function typeLabel(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/**
 * Reads the operator's resources file: YAML or JSON, either a list of resources or `{ resources: [...] }`, each in
 * Envoy's v3 JSON shape with its `@type` (Listener, Cluster, ClusterLoadAssignment, or RouteConfiguration). Every
 * problem — unreadable file, unknown type or field, missing or repeated name — is reported at once with its path and
 * line, as SLUICE_E_ADAPTER_OPTIONS.
 */
export function readResourcesFile(file: string): ResourceSet {
  const label = `envoy adapter resourcesFile ${file}`;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > RESOURCES_FILE_BYTES_MAX) throw new Error(`it is ${size} bytes; at most ${RESOURCES_FILE_BYTES_MAX} are accepted`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecValidationError([{ path: 'adapter.options.resourcesFile', message: `cannot be read: ${(error as Error).message}` }], label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  return parseResources(text, file);
}

/** Parses the text of a resources file (see readResourcesFile); `file` names it in messages. */
export function parseResources(text: string, file: string): ResourceSet {
  const label = `envoy adapter resourcesFile ${file}`;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`, line: lineCounter.linePos(e.pos[0]).line }));
    throw new SpecValidationError(issues, label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new SpecValidationError([{ path: '', message: `YAML aliases: ${(error as Error).message}` }], label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  const inList = Array.isArray(value);
  const list = inList ? value : (value as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list)) {
    throw new SpecValidationError([{ path: '', message: 'expected a list of resources, or a mapping with a "resources" list' }], label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  if (list.length > RESOURCES_MAX) {
    throw new SpecValidationError([{ path: 'resources', message: `${list.length} resources; at most ${RESOURCES_MAX} per file` }], label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  const problems: ProtoJsonProblem[] = [];
  const set: ResourceSet = { file, resources: new Map(), clusters: new Map() };
  list.forEach((item, index) => {
    const path = `resources[${index}]`;
    const typeUrl = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['@type'] : undefined;
    const known = typeof typeUrl === 'string' ? TYPES[typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl : `${TYPE_URL_PREFIX}${typeUrl}`] : undefined;
    if (!known) {
      problems.push({ path: `${path}.@type`, message: `must be one of ${Object.keys(TYPES).join(', ')} (got ${JSON.stringify(typeUrl) ?? 'nothing'})` });
      return;
    }
    const { '@type': _type, ...body } = item as Record<string, unknown>;
    const type: protobuf.Type = messageType(known.typeName);
    const before = problems.length;
    const object = protoJsonToObject(type, body, path, problems);
    if (problems.length > before) return;
    const name = object[known.nameField];
    if (typeof name !== 'string' || name === '') {
      problems.push({ path: `${path}.${known.nameField}`, message: `is required: every ${typeLabel(known.typeUrl)} needs a name` });
      return;
    }
    let byName = set.resources.get(known.typeUrl);
    if (!byName) set.resources.set(known.typeUrl, (byName = new Map()));
    if (byName.has(name)) {
      problems.push({ path: `${path}.${known.nameField}`, message: `${typeLabel(known.typeUrl)} "${name}" is defined twice; names are unique per type` });
      return;
    }
    byName.set(name, { typeUrl: known.typeUrl, name, object, bytes: encodeMessage(type, object) });
    if (known.typeUrl === CDS_TYPE_URL) set.clusters.set(name, clusterInfo(name, object));
  });
  if (problems.length > 0) {
    const issues: ValidationIssue[] = problems.map((p) => {
      const line = lineOf(doc, lineCounter, pathSegments(inList ? p.path.replace(/^resources/, '') : p.path));
      return { path: p.path, message: p.message, ...(line ? { line } : {}) };
    });
    throw new SpecValidationError(issues, label, 'SLUICE_E_ADAPTER_OPTIONS');
  }
  return set;
}

function clusterInfo(name: string, object: Record<string, unknown>): ClusterInfo {
  const type = object.type;
  const eds = object.eds_cluster_config as { service_name?: string; eds_config?: Record<string, unknown> } | undefined;
  // Only endpoints fed over this ADS stream are this server's to serve and to wait for.
  if ((type === 'EDS' || type === 3) && eds && (eds.eds_config === undefined || 'ads' in eds.eds_config)) {
    return { name, edsServiceName: eds.service_name || name };
  }
  return { name };
}

/** `resources[2].filter_chains[0].name` → ['resources', 2, 'filter_chains', 0, 'name']. */
function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1]) segments.push(match[1]);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      const range = (pair.key as { range?: [number, number, number] }).range;
      if (range) line = lineCounter.linePos(range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) line = lineCounter.linePos(range[0]).line;
    } else break;
  }
  return line;
}
