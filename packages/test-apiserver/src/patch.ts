import fastJsonPatch from 'fast-json-patch';
import jsonMergePatch from 'json-merge-patch';
import type { KubeObject, ResourceType } from './resourceTypes.js';
import { statusErrors } from './status.js';

export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Strategic-merge directives that only order lists; merging without them gives the same object for our kinds. */
const ORDERING_DIRECTIVE = /^\$(setElementOrder|retainKeys)(\/|$)/;

/**
 * Applies a PATCH body to `current` by its Content-Type, as the API server does, and returns the patched object.
 * - JSON Patch (RFC 6902, fast-json-patch): a body that is not a list of operations is 400; an operation that cannot
 *   apply — a `test` that does not match, a path that does not resolve — is 422, and nothing changes.
 * - JSON merge patch (RFC 7386, json-merge-patch).
 * - Strategic merge patch: 415 for custom resources, as the apiextensions server answers. For the built-in Ingress it
 *   is the merge patch once the list-ordering directives (`$setElementOrder/…`, `$retainKeys`) are removed: Ingress
 *   has no merge-keyed lists. Other directives (`$patch`, `$deleteFromPrimitiveList/…`) answer 400, said plainly.
 * - Server-side apply (application/apply-patch+yaml) is not served: 415 naming the types that are.
 */
export function applyPatchBody(resource: ResourceType, contentType: string, current: KubeObject, body: string): KubeObject {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const accepted = resource.custom ? [PATCH_CONTENT_TYPES.json, PATCH_CONTENT_TYPES.merge] : [PATCH_CONTENT_TYPES.json, PATCH_CONTENT_TYPES.merge, PATCH_CONTENT_TYPES.strategic];
  switch (mediaType) {
    case PATCH_CONTENT_TYPES.json:
      return applyJsonPatch(current, parseJson(body));
    case PATCH_CONTENT_TYPES.merge:
      return mergePatch(current, parseJson(body));
    case PATCH_CONTENT_TYPES.strategic:
      if (resource.custom) throw statusErrors.unsupportedMediaType(mediaType, accepted);
      return mergePatch(current, withoutOrderingDirectives(parseJson(body)));
    default:
      throw statusErrors.unsupportedMediaType(mediaType, accepted);
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw statusErrors.badRequest(`error decoding patch: ${(error as Error).message}`);
  }
}

function applyJsonPatch(current: KubeObject, operations: unknown): KubeObject {
  if (!Array.isArray(operations)) throw statusErrors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch (a JSON Patch is a list of operations)');
  const invalid = fastJsonPatch.validate(operations as fastJsonPatch.Operation[]);
  if (invalid) throw statusErrors.badRequest(`invalid JSON Patch: ${invalid.message.split('\n')[0]}`);
  try {
    const result = fastJsonPatch.applyPatch(structuredClone(current), operations as fastJsonPatch.Operation[], true, true).newDocument;
    return asObject(result);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    const operation = (error as { operation?: { op?: string; path?: string } }).operation;
    throw statusErrors.unprocessable(operation?.op === 'test' ? `testing value ${operation.path} failed: test failed` : message);
  }
}

function mergePatch(current: KubeObject, patch: unknown): KubeObject {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw statusErrors.badRequest('a merge patch must be a JSON object');
  return asObject(jsonMergePatch.apply(structuredClone(current), patch));
}

function withoutOrderingDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(withoutOrderingDirectives);
  if (patch === null || typeof patch !== 'object') return patch;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (ORDERING_DIRECTIVE.test(key)) continue;
    if (key.startsWith('$')) throw statusErrors.badRequest(`strategic merge directive "${key}" is not supported by this test server; use a JSON merge patch (application/merge-patch+json) or a JSON Patch`);
    out[key] = withoutOrderingDirectives(value);
  }
  return out;
}

function asObject(value: unknown): KubeObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw statusErrors.badRequest('the patched document is not an object');
  return value as KubeObject;
}
