import type { AnyStoredEvent } from '@sluice/core';
import { request } from '../http/undiciRequest.js';
import { DaemonError } from '../errors.js';

/** Time to wait for the daemon's answer to one request (not for event streams). */
export const CLIENT_REQUEST_TIMEOUT_MS = 30_000;

export interface DaemonClientOptions {
  /** Base URL, e.g. http://127.0.0.1:7400. */
  url: string;
  token?: string | undefined;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** The HTTP API from the CLI's side (docs/api.md). Errors are DaemonErrors that say what to do. */
export class DaemonClient {
  readonly url: string;
  readonly #token: string | undefined;

  constructor(options: DaemonClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
  }

  createRollout(specText: string): Promise<ApiAnswer> {
    return this.call('POST', '/v1/rollouts', specText, 'application/yaml');
  }

  /** Active rollouts and a page of ended ones (docs/api.md); `next` continues the ended list, null after the last page. */
  listRollouts(query: { state?: 'all' | 'active' | 'ended'; limit?: number; before?: string } = {}): Promise<ApiAnswer<{ rollouts: Record<string, unknown>[]; next?: string | null }>> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.size > 0 ? `?${params}` : '';
    return this.call('GET', `/v1/rollouts${search}`);
  }

  getRollout(id: string): Promise<ApiAnswer<{ rollout: Record<string, unknown> }>> {
    return this.call('GET', `/v1/rollouts/${encodeURIComponent(id)}`);
  }

  /** Commands answer 409 when the machine rejects them; that answer is returned, not thrown. */
  command(id: string, command: string, body: { reason?: string; actor?: string } = {}): Promise<ApiAnswer> {
    return this.call('POST', `/v1/rollouts/${encodeURIComponent(id)}/commands/${command}`, JSON.stringify(body), 'application/json', [409]);
  }

  postSamples(id: string, ndjson: string): Promise<ApiAnswer> {
    return this.call('POST', `/v1/rollouts/${encodeURIComponent(id)}/samples`, ndjson, 'application/x-ndjson', [207, 400]);
  }

  events(id: string, from: number, limit = 1_000): Promise<ApiAnswer<{ events: AnyStoredEvent[]; next: number }>> {
    return this.call('GET', `/v1/rollouts/${encodeURIComponent(id)}/events?from=${from}&limit=${limit}`);
  }

  /**
   * Follows a rollout's events as Server-Sent Events from `from`, calling `onEvent` for each, until `signal` aborts or
   * `onEvent` returns true ("done"). Resolves with the position after the last event seen.
   */
  async followEvents(id: string, from: number, onEvent: (event: AnyStoredEvent) => boolean | void, signal?: AbortSignal): Promise<number> {
    let next = from;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.#send('GET', `/v1/rollouts/${encodeURIComponent(id)}/events?from=${from}`, undefined, undefined, { accept: 'text/event-stream' }, controller.signal, 0);
      if (response.statusCode !== 200) await this.#fail(response.statusCode, await response.body.text());
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const event = JSON.parse(data) as AnyStoredEvent;
          next = event.position + 1;
          if (onEvent(event) === true) {
            controller.abort();
            return next;
          }
        }
      }
      return next;
    } catch (error) {
      if (controller.signal.aborted) return next;
      if (error instanceof DaemonError) throw error;
      throw new DaemonError('SLUICE_E_DAEMON_UNREACHABLE', `lost the event stream from the daemon at ${new URL(this.url).host} after position ${next - 1}: ${(error as Error).message} — is it still running?`, { cause: error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One request; statuses ≥ 400 other than `accepted` throw SLUICE_E_DAEMON_RESPONSE with the daemon's message. */
  async call<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: string, contentType?: string, accepted: number[] = []): Promise<ApiAnswer<T>> {
    const response = await this.#send(method, path, body, contentType, { accept: 'application/json' }, undefined, CLIENT_REQUEST_TIMEOUT_MS);
    const text = await response.body.text();
    if (response.statusCode >= 400 && !accepted.includes(response.statusCode)) await this.#fail(response.statusCode, text);
    return { status: response.statusCode, body: (text ? JSON.parse(text) : {}) as T };
  }

  async #send(method: 'GET' | 'POST', path: string, body: string | undefined, contentType: string | undefined, extra: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number) {
    const headers: Record<string, string> = { ...extra };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (contentType) headers['content-type'] = contentType;
    try {
      return await request(`${this.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
        headersTimeout: timeoutMs || CLIENT_REQUEST_TIMEOUT_MS,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'].includes(code)) {
        throw new DaemonError('SLUICE_E_DAEMON_UNREACHABLE', `daemon not reachable at ${new URL(this.url).host} (${code}) — start it with \`sluice daemon\`, or pass --url / set SLUICE_URL`, { cause: error });
      }
      throw new DaemonError('SLUICE_E_DAEMON_UNREACHABLE', `request to the daemon at ${this.url} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async #fail(status: number, text: string): Promise<never> {
    let code = 'SLUICE_E_DAEMON_RESPONSE';
    let message = text.slice(0, 2_000);
    let details: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } & Record<string, unknown> };
      if (parsed.error?.message) message = parsed.error.message;
      if (parsed.error?.code) code = parsed.error.code;
      details = parsed.error ?? {};
    } catch {
      // Not our JSON: keep the raw text.
    }
    const hint = status === 401 ? ' — pass --token-file (or SLUICE_TOKEN_FILE) with the daemon\'s token' : '';
    throw new DaemonError('SLUICE_E_DAEMON_RESPONSE', `daemon answered ${status} ${code}: ${message}${hint}`, { details: { ...details, status, code } });
  }
}
