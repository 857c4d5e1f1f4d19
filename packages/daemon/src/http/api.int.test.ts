import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';

type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const spec = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'checkout-v2',
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: 200,
    stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }] }],
    ...overrides,
  });

async function start(overrides = {}) {
  running = await startTestDaemon(overrides);
  const { daemon, headers } = running;
  const call = async (method: string, path: string, body?: string, extra: Record<string, string> = {}) => {
    const response = await fetch(`${daemon.url}${path}`, { method, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  return { daemon, call };
}

describe('HTTP API', () => {
  it('needs the bearer token for mutations and reads, but not for health endpoints', async () => {
    const { daemon } = await start();
    expect((await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', body: spec() })).status).toBe(401);
    expect((await fetch(`${daemon.url}/v1/rollouts`)).status).toBe(401);
    expect((await fetch(`${daemon.url}/v1/rollouts`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
  });

  it('opens reads with --open-reads, never mutations', async () => {
    const { daemon } = await start({ openReads: true });
    expect((await fetch(`${daemon.url}/v1/rollouts`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', body: spec() })).status).toBe(401);
  });

  it('creates idempotently by id, and refuses a changed spec for an existing id with 409', async () => {
    const { call } = await start();
    const first = await call('POST', '/v1/rollouts', spec());
    expect(first.status).toBe(201);
    expect(first.body.rollout.state.phase).toBe('progressing');
    const again = await call('POST', '/v1/rollouts', spec());
    expect(again).toMatchObject({ status: 200, body: { created: false } });
    const changed = await call('POST', '/v1/rollouts', spec({ candidate: 'v3' }));
    expect(changed).toMatchObject({ status: 409, body: { error: { code: 'SLUICE_E_SPEC_CONFLICT' } } });
    const invalid = await call('POST', '/v1/rollouts', spec({ id: 'Bad Id' }));
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues[0].path).toBe('id');
    expect((await call('GET', '/v1/rollouts')).body.rollouts).toHaveLength(1);
    expect((await call('GET', '/v1/rollouts/nope')).status).toBe(404);
  });

  it('keeps the valid lines of a batch, lists the rejected ones, and counts only what it acknowledged', async () => {
    const { call } = await start();
    await call('POST', '/v1/rollouts', spec());
    const good = JSON.stringify({ variant: 'canary', ok: true, latencyMs: 3 });
    const partial = await call('POST', '/v1/rollouts/checkout-v2/samples', [good, '{oops', good, '{"variant":"canary"}'].join('\n'));
    expect(partial.status).toBe(207);
    expect(partial.body).toMatchObject({ accepted: 2, rejectedCount: 2 });
    expect(partial.body.rejected.map((r: { line: number }) => r.line)).toEqual([2, 4]);
    const none = await call('POST', '/v1/rollouts/checkout-v2/samples', '{oops');
    expect(none).toMatchObject({ status: 400, body: { accepted: 0, rejectedCount: 1 } });
    const late = await call('POST', '/v1/rollouts/checkout-v2/samples', JSON.stringify({ variant: 'canary', ok: true, latencyMs: 3, at: Date.now() - 60_000 }));
    expect(late.body.rejected[0].reason).toMatch(/^late/);
    const windowed = await eventually('the window with the two samples', async () => {
      const { body } = await call('GET', '/v1/rollouts/checkout-v2/events?from=0');
      const count = body.events.filter((e: { type: string }) => e.type === 'samples.window').reduce((n: number, e: { data: { canary: { count: number } } }) => n + e.data.canary.count, 0);
      return count >= 2 ? count : undefined;
    });
    expect(windowed).toBe(2);
  });

  it('refuses bodies over the limit with 413', async () => {
    const { call } = await start({ sampleBodyBytesMax: 1_024 });
    await call('POST', '/v1/rollouts', spec());
    const big = Array.from({ length: 100 }, () => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 3 })).join('\n');
    const answer = await call('POST', '/v1/rollouts/checkout-v2/samples', big);
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'SLUICE_E_BODY_TOO_LARGE' } } });
  });

  it('runs operator commands, answers 409 for a command the state rejects, and stops taking samples once ended', async () => {
    const { call } = await start();
    await call('POST', '/v1/rollouts', spec());
    expect((await call('POST', '/v1/rollouts/checkout-v2/commands/pause', '{"reason":"look"}')).body.rollout.state.phase).toBe('paused');
    expect((await call('POST', '/v1/rollouts/checkout-v2/commands/pause')).body.error.code).toBe('SLUICE_E_COMMAND_REJECTED');
    expect((await call('POST', '/v1/rollouts/checkout-v2/commands/launch')).status).toBe(404);
    // A reason that is not a string, or under a misspelt key, is refused rather than dropped from the audit trail.
    const positionBefore = (await call('GET', '/v1/rollouts/checkout-v2')).body.rollout.nextPosition;
    const badReason = await call('POST', '/v1/rollouts/checkout-v2/commands/resume', '{"reason":5}');
    expect(badReason.status).toBe(400);
    expect(badReason.body.error.message).toMatch(/reason must be a string \(got 5\)/);
    expect((await call('POST', '/v1/rollouts/checkout-v2/commands/resume', '{"reson":"typo"}')).body.error.message).toMatch(/unknown field "reson"/);
    expect((await call('POST', '/v1/rollouts/checkout-v2/commands/resume', '[]')).status).toBe(400);
    expect((await call('GET', '/v1/rollouts/checkout-v2')).body.rollout.nextPosition).toBe(positionBefore);
    await call('POST', '/v1/rollouts/checkout-v2/commands/abort');
    const ended = await call('POST', '/v1/rollouts/checkout-v2/samples', JSON.stringify({ variant: 'canary', ok: true, latencyMs: 1 }));
    expect(ended).toMatchObject({ status: 409, body: { error: { code: 'SLUICE_E_ROLLOUT_TERMINAL' } } });
  });

  it('streams events as Server-Sent Events from a position, history first, then live', async () => {
    const { daemon, call } = await start();
    await call('POST', '/v1/rollouts', spec());
    const controller = new AbortController();
    const response = await fetch(`${daemon.url}/v1/rollouts/checkout-v2/events?from=1`, {
      headers: { ...running!.headers, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    await call('POST', '/v1/rollouts/checkout-v2/commands/pause');
    while (!text.includes('event: paused')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids[0]).toBe(1);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(text).toContain('event: command.issued');
  });
});

describe('HTTP API spec checks owned by the daemon', () => {
  it('refuses a rollout whose adapter options are invalid, before anything is appended', async () => {
    const { call, daemon } = await start();
    const answer = await call('POST', '/v1/rollouts', spec({ adapter: { type: 'inprocess', options: { adminUrl: 'not a url' } } }));
    expect(answer).toMatchObject({ status: 422, body: { error: { code: 'SLUICE_E_ADAPTER_OPTIONS' } } });
    expect(daemon.log.listRollouts()).toEqual([]);
  });

  it('lists the problems of the Prometheus source, the adapter and the access log in one answer, at their spec paths', async () => {
    const { call, daemon } = await start();
    const answer = await call(
      'POST',
      '/v1/rollouts',
      spec({
        adapter: { type: 'inprocess', options: { adminUrl: 'not a url' } },
        sources: { prometheus: { url: 'http://127.0.0.1:9090', bogus: 1 }, accessLog: { path: 5, baselineAddresses: [], candidateAddresses: [] } },
      }),
    );
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('SLUICE_E_SPEC_INVALID');
    const paths = (answer.body.error.issues as { path: string; message: string }[]).map((i) => i.path);
    // The window of 200 ms is too short for Prometheus, its block has an unknown field, the adapter's URL is bad, and
    // the access log's path is a number (reported at sources.accessLog, where it is, not at adapter.options).
    expect(paths).toEqual(expect.arrayContaining(['window', 'sources.prometheus', 'adapter.options.adminUrl', 'sources.accessLog.path']));
    expect(answer.body.error.issues.find((i: { path: string }) => i.path === 'sources.accessLog.path').message).toMatch(/got 5/);
    expect(daemon.log.listRollouts()).toEqual([]);
  });
});
