/**
 * Kubernetes `Status` error bodies (metav1.Status), as the real API server sends them: `kind: Status`, a reason from
 * the fixed set (NotFound, AlreadyExists, Conflict, Invalid, …), the HTTP code, and details naming the object and,
 * for 422, every cause with its field path.
 */
export interface StatusCause {
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, … */
  type: string;
  message: string;
  /** Field path in the object, e.g. `spec.rules[0].backendRefs[1].weight`. */
  field: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** A request the server refuses; `status` is what goes on the wire. */
export class ApiStatusError extends Error {
  readonly code: number;
  readonly status: StatusBody;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiStatusError';
    this.code = code;
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
}

/** `httproutes.gateway.networking.k8s.io`, or `ingresses.networking.k8s.io` — how the server names a resource. */
export interface GroupResource {
  group: string;
  plural: string;
  kind: string;
}

export function qualified(resource: GroupResource): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

export const statusErrors = {
  notFound: (resource: GroupResource, name: string): ApiStatusError =>
    new ApiStatusError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, { name, group: resource.group, kind: resource.plural }),
  /** The path names no resource this server serves (a CRD that is not installed). */
  noResource: (): ApiStatusError => new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource', {}),
  alreadyExists: (resource: GroupResource, name: string): ApiStatusError =>
    new ApiStatusError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, { name, group: resource.group, kind: resource.plural }),
  conflict: (resource: GroupResource, name: string): ApiStatusError =>
    new ApiStatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: resource.group, kind: resource.plural },
    ),
  invalid: (resource: GroupResource, name: string, causes: StatusCause[]): ApiStatusError =>
    new ApiStatusError(
      422,
      'Invalid',
      `${resource.kind}.${resource.group || 'core'} "${name}" is invalid: ${causes.length === 1 ? causeText(causes[0]!) : `[${causes.map(causeText).join(', ')}]`}`,
      { name, group: resource.group, kind: resource.kind, causes },
    ),
  /** A JSON Patch that cannot apply (a failed `test`): 422 without details, as the real server words it. */
  unprocessable: (message: string): ApiStatusError => new ApiStatusError(422, 'Invalid', message),
  badRequest: (message: string): ApiStatusError => new ApiStatusError(400, 'BadRequest', message),
  unsupportedMediaType: (contentType: string, accepted: readonly string[]): ApiStatusError =>
    new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format (${contentType || 'no Content-Type'}) - accepted media types include: ${accepted.join(', ')}`),
  methodNotAllowed: (method: string): ApiStatusError => new ApiStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`),
  unauthorized: (): ApiStatusError => new ApiStatusError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (user: string, verb: string, resource: GroupResource, namespace: string, name: string | undefined, subresource?: string): ApiStatusError =>
    new ApiStatusError(
      403,
      'Forbidden',
      `${qualified(resource)}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource.plural}${subresource ? `/${subresource}` : ''}" in API group "${resource.group}" in the namespace "${namespace}"`,
      { ...(name ? { name } : {}), group: resource.group, kind: resource.plural },
    ),
  tooLarge: (limitBytes: number): ApiStatusError => new ApiStatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`),
  internal: (message: string): ApiStatusError => new ApiStatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ type: 'UnexpectedServerResponse', message, field: '' }] }),
  gone: (message: string): ApiStatusError => new ApiStatusError(410, 'Expired', message),
  tooManyRequests: (message: string): ApiStatusError => new ApiStatusError(429, 'TooManyRequests', message, { retryAfterSeconds: 1 }),
};

function causeText(cause: StatusCause): string {
  return cause.field ? `${cause.field}: ${cause.message}` : cause.message;
}
