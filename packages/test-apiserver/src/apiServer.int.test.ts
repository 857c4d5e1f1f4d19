import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, BODY_BYTES_MAX, startTestApiServer, type TestApiServer } from './apiServer.js';
import { parseFlags } from './main.js';

/** The HTTP surface: Status bodies, discovery, list resourceVersion, watch with 410, limits, fault knobs, auth. */
let server: TestApiServer;
const routes = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';

beforeAll(async () => {
  server = await startTestApiServer({ watchHistoryMax: 2 });
});
afterAll(async () => server?.close());

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const route = (name: string) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name }, spec: { rules: [{ backendRefs: [{ name: 'a', port: 80 }] }] } });

/** Reads a watch until `count` events arrived or the server ended it. */
async function watchEvents(path: string, count: number): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}${path}`, { signal: controller.signal });
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let buffered = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffered.slice(0, newline)) as { type: string; object: Record<string, unknown> });
        buffered = buffered.slice(newline + 1);
      }
      if (events.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

describe('test API server over HTTP', () => {
  it('serves discovery for every group and 404 Status bodies for what it does not serve', async () => {
    const groups = await call('GET', '/apis');
    expect((groups.body.groups as { name: string }[]).map((g) => g.name).sort()).toEqual(['gateway.networking.k8s.io', 'networking.istio.io', 'networking.k8s.io']);
    const resources = await call('GET', '/apis/gateway.networking.k8s.io/v1');
    expect((resources.body.resources as { name: string }[]).map((r) => r.name)).toEqual(['httproutes', 'httproutes/status']);
    const missing = await call('GET', '/apis/example.com/v1/namespaces/shop/widgets');
    expect(missing).toEqual({ status: 404, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 } });
  });

  it('lists with the global resourceVersion, and watches from it; a resourceVersion older than the history is 410 Gone', async () => {
    const first = await call('POST', routes, route('one'));
    expect(first.status).toBe(201);
    const list = await call('GET', routes);
    const listVersion = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    expect(listVersion).toBe((first.body.metadata as { resourceVersion: string }).resourceVersion);
    const watching = watchEvents(`${routes}?watch=1&resourceVersion=${listVersion}`, 1);
    await new Promise((r) => setTimeout(r, 50));
    await call('POST', routes, route('two'));
    const [added] = await watching;
    expect(added).toMatchObject({ type: 'ADDED', object: { kind: 'HTTPRoute', metadata: { name: 'two' } } });
    for (const name of ['three', 'four', 'five']) await call('POST', routes, route(name));
    const [expired] = await watchEvents(`${routes}?watch=1&resourceVersion=${listVersion}`, 1);
    expect(expired).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const fromScratch = await watchEvents(`${routes}?watch=1&fieldSelector=metadata.name%3Dfour`, 1);
    expect(fromScratch.map((e) => `${e.type} ${String((e.object.metadata as { name: string }).name)}`)).toEqual(['ADDED four']);
  });

  it('answers 413 past the body limit, 400 for an unknown field selector, and 415 for server-side apply', async () => {
    expect((await call('POST', routes, 'x'.repeat(BODY_BYTES_MAX + 1))).status).toBe(413);
    expect((await call('GET', `${routes}?fieldSelector=spec.hostnames%3Dx`)).body).toMatchObject({ code: 400, message: '"spec.hostnames" is not a known field selector: only "metadata.name", "metadata.namespace"' });
    expect((await call('PATCH', `${routes}/one`, 'spec: {}', 'application/apply-patch+yaml')).status).toBe(415);
  });

  it('takes fault knobs over HTTP, checks them, and consumes counted faults', async () => {
    expect((await call('PUT', `${ADMIN_PREFIX}/faults`, { serverErrors: 1, controller: { mode: 'sometimes' } })).body).toMatchObject({ code: 400, message: expect.stringContaining('controller.mode must be "accept", "never" or "reject"') });
    expect((await call('PUT', `${ADMIN_PREFIX}/faults`, { serverErrors: 1 })).status).toBe(200);
    expect((await call('GET', `${routes}/one`)).body).toMatchObject({ code: 500, reason: 'InternalError' });
    expect((await call('GET', `${routes}/one`)).status).toBe(200);
  });

  it('requires the token when started with one', async () => {
    const guarded = await startTestApiServer({ token: 'a-test-token-of-some-length' });
    try {
      expect((await fetch(`${guarded.url}/apis`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/apis`, { headers: { authorization: 'Bearer a-test-token-of-some-length' } })).status).toBe(200);
      expect(guarded.kubeconfig()).toContain('"token": "a-test-token-of-some-length"');
    } finally {
      await guarded.close();
    }
  });

  it('names every bad flag of the bin at once', () => {
    expect(parseFlags(['--listen', '0.0.0.0:80', '--bogus'])).toEqual({
      problems: ['unknown argument "--bogus"', '--listen must be a loopback address and port, e.g. 127.0.0.1:0 (got "0.0.0.0:80")', '--kubeconfig-out is required (the file to write the kubeconfig to)'],
    });
    expect(parseFlags(['--listen', '127.0.0.1:0', '--kubeconfig-out', '/tmp/k'])).toEqual({ host: '127.0.0.1', port: 0, kubeconfigOut: '/tmp/k', namespace: 'default' });
  });
});
