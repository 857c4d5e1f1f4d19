import type { ApiException } from '@kubernetes/client-node';
import type { ObjectRef } from './kubeApi.js';

/** A failed API call, described for people: verb, object, the server's words, and what to do. */
export class KubeRequestError extends Error {
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Worth another attempt: 409, 429, 5xx, timeouts, refused or reset connections. */
  readonly retryable: boolean;
  /** The server's Status causes (422). */
  readonly causes: readonly string[];
  constructor(message: string, options: { status?: number; retryable: boolean; causes?: readonly string[]; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeRequestError';
    this.status = options.status;
    this.retryable = options.retryable;
    this.causes = options.causes ?? [];
  }
}

interface FailureContext {
  verb: 'get' | 'patch' | 'list' | 'watch';
  ref: ObjectRef;
  server: string;
  requestTimeoutMs: number;
  timedOut: boolean;
  /**
   * client-node's ApiException class, from the module the call was made with. client-node is imported when an adapter
   * first connects (loadClientNode), not by this file, so the class comes with the failure: an error the server
   * answered is recognised by `instanceof` of the very class that threw it, not by its shape.
   */
  apiException: abstract new (...args: never[]) => ApiException<unknown>;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { name?: string; causes?: { field?: string; message?: string }[] };
}

/** Turns whatever client-node threw into a KubeRequestError whose message says what failed and what to do. */
export function describeFailure(error: unknown, context: FailureContext): KubeRequestError {
  const { ref, verb, server } = context;
  const object = `${ref.kind} ${ref.namespace}/${ref.name}`;
  const resource = `${ref.plural}.${ref.group}`;
  if (error instanceof context.apiException) {
    const code = error.code;
    const body = parseBody(error.body);
    const said = body?.message ? `: ${body.message}` : '';
    switch (code) {
      case 401:
        return new KubeRequestError(`${verb} ${object}: 401 Unauthorized from ${server}; the kubeconfig's credentials were refused (expired token?)`, { status: code, retryable: false, cause: error });
      case 403:
        return new KubeRequestError(
          `${verb} ${object}: 403 Forbidden${said}. Grant it in the Role bound to the daemon's service account: ` +
            `{ apiGroups: ["${ref.group}"], resources: ["${ref.plural}"], verbs: ["${verb}"] } (deploy/kubernetes/role.yaml has every verb the adapter uses)`,
          { status: code, retryable: false, cause: error },
        );
      case 404:
        return body?.details?.name
          ? new KubeRequestError(`${verb} ${object}: not found; create the ${ref.kind} first, or fix adapter.options.namespace/name`, { status: code, retryable: false, cause: error })
          : new KubeRequestError(
              `${verb} ${object}: the API server at ${server} does not serve ${resource}/${ref.version}; install the ${ref.kind} CustomResourceDefinition (kubectl get crd ${resource})`,
              { status: code, retryable: false, cause: error },
            );
      case 409:
        return new KubeRequestError(`${verb} ${object}: 409 Conflict${said}`, { status: code, retryable: true, cause: error });
      case 415:
        return new KubeRequestError(`${verb} ${object}: 415 Unsupported Media Type${said}`, { status: code, retryable: false, cause: error });
      case 422: {
        const causes = (body?.details?.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
        return new KubeRequestError(`${verb} ${object}: the API server refused the change (422)${said}${causes.length > 0 && !said.includes(causes[0]!) ? ` — ${causes.join('; ')}` : ''}`, {
          status: code,
          retryable: false,
          causes,
          cause: error,
        });
      }
      case 429:
        return new KubeRequestError(`${verb} ${object}: 429 Too Many Requests from ${server}${said}`, { status: code, retryable: true, cause: error });
      default:
        return new KubeRequestError(`${verb} ${object}: HTTP ${code} from ${server}${said}`, { status: code, retryable: code >= 500, cause: error });
    }
  }
  if (context.timedOut || (error as { name?: string })?.name === 'TimeoutError') {
    return new KubeRequestError(`${verb} ${object}: the API server at ${server} did not answer within ${context.requestTimeoutMs} ms (adapter.options.requestTimeoutMs)`, { retryable: true, cause: error });
  }
  if ((error as { name?: string })?.name === 'AbortError') return new KubeRequestError(`${verb} ${object}: cancelled`, { retryable: false, cause: error });
  const network = networkCode(error);
  if (network === 'ECONNREFUSED') {
    return new KubeRequestError(`${verb} ${object}: connection refused by ${server}; is the API server running and the kubeconfig's server address right?`, { retryable: true, cause: error });
  }
  if (network !== undefined) return new KubeRequestError(`${verb} ${object}: cannot reach ${server} (${network})`, { retryable: true, cause: error });
  const cause = (error as { cause?: { message?: string } })?.cause?.message;
  return new KubeRequestError(`${verb} ${object}: ${(error as Error)?.message ?? String(error)}${cause ? ` (${cause})` : ''} — request to ${server}`, { retryable: false, cause: error });
}

function parseBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return body !== null && typeof body === 'object' ? (body as StatusBody) : undefined;
}

/** `ECONNREFUSED`, `ECONNRESET`, … from undici's "fetch failed" and its cause chain. */
function networkCode(error: unknown): string | undefined {
  let at: unknown = error;
  for (let depth = 0; depth < 5 && at; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}
