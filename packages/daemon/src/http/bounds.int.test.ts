import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon } from '../testing/startTestDaemon.js';

/** The reproductions of issue 11 against a real daemon, each now a refusal with a code and a path. */
type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(overrides = {}) {
  running = await startTestDaemon(overrides);
  const { daemon, headers } = running;
  return async (method: string, path: string, body?: string) => {
    const response = await fetch(`${daemon.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as { error: { code: string; message: string; issues?: { path: string; line?: number; message: string }[] } } & Record<string, unknown> };
  };
}

const spec = (extra: Record<string, unknown> = {}) => JSON.stringify({ id: 'r1', service: 's', baseline: '1', candidate: '2', window: '1s', ...extra });

describe('bounded inputs on a real daemon', () => {
  it('refuses a 10 kB spec nested 5,000 deep, posted twice, and keeps serving (it used to kill the process)', async () => {
    const call = await start();
    const deep = `{"id":"r1","service":"s","baseline":"1","candidate":"2","adapter":{"type":"none","options":{"x":${'['.repeat(5_000)}${']'.repeat(5_000)}}}}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await call('POST', '/v1/rollouts', deep);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'SLUICE_E_SPEC_PARSE', issues: [{ line: 1, message: expect.stringMatching(/nested deeper than/) }] });
    }
    expect((await call('POST', '/v1/rollouts', spec())).status).toBe(201);
  });

  it('refuses an alias bomb with 400 and a spec error, not 500', async () => {
    const call = await start();
    const levels = ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`)];
    const answer = await call('POST', '/v1/rollouts', `id: r1\nservice: s\nbaseline: "1"\ncandidate: "2"\nadapter:\n  type: none\n  options:\n${levels.map((l) => `    ${l}`).join('\n')}\n`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SLUICE_E_SPEC_PARSE');
  });

  it('refuses window: 0 and window: 1 at the field (window: 0 bricked the log), and 200 ms under the default floor', async () => {
    const call = await start({ windowMsMin: 1_000 });
    for (const window of [0, 1, 200]) {
      const answer = await call('POST', '/v1/rollouts', spec({ window }));
      expect(answer.status).toBe(422);
      expect(answer.body.error.issues?.map((i) => i.path)).toEqual(['window']);
    }
    expect(running!.daemon.log.listRollouts()).toEqual([]);
  });

  it("refuses a 900 kB reason rather than storing it, or a cut of it, in the log", async () => {
    const call = await start();
    expect((await call('POST', '/v1/rollouts', spec())).status).toBe(201);
    const before = running!.daemon.log.nextPosition('r1');
    const answer = await call('POST', '/v1/rollouts/r1/commands/pause', JSON.stringify({ reason: 'r'.repeat(900_000) }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/reason is 900000 characters; at most 1024/);
    expect(running!.daemon.log.nextPosition('r1')).toBe(before);
    expect((await call('POST', '/v1/rollouts/r1/commands/pause', JSON.stringify({ reason: 'r'.repeat(1_024) }))).status).toBe(200);
  });

  it('refuses a deeply nested command body before parsing it', async () => {
    const call = await start();
    await call('POST', '/v1/rollouts', spec());
    const answer = await call('POST', '/v1/rollouts/r1/commands/pause', `{"reason":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'SLUICE_E_BODY_INVALID', message: expect.stringMatching(/nested deeper than 32/) });
  });

  it('answers a batch of only rejected lines with 400 and an error code, naming the first line', async () => {
    const call = await start();
    await call('POST', '/v1/rollouts', spec());
    const answer = await call('POST', '/v1/rollouts/r1/samples', '{"variant":"canary","ok":true,"status":500,"latencyMs":1}');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ accepted: 0, rejectedCount: 1, error: { code: 'SLUICE_E_SAMPLE_INVALID', message: expect.stringMatching(/line 1: "ok": true contradicts "status": 500/) } });
  });

  it('answers 404 for command names that are properties of every object (constructor, __proto__), not 500', async () => {
    const call = await start();
    await call('POST', '/v1/rollouts', spec());
    for (const command of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const answer = await call('POST', `/v1/rollouts/r1/commands/${command}`, '{}');
      expect({ command, status: answer.status, code: answer.body.error.code }).toEqual({ command, status: 404, code: 'SLUICE_E_ROUTE_NOT_FOUND' });
    }
  });
});
