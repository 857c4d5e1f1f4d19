import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';

/** A local webhook receiver: records every POST body and answers `status`. */
async function receiver(status: number): Promise<{ url: string; bodies: Record<string, unknown>[]; server: Server }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await running?.stop();
  running = undefined;
  for (const server of servers.splice(0)) server.close();
});

describe('notifications and approvals wired to the daemon', () => {
  it('sends the webhook a rollback.started notification with its evidence', async () => {
    const hook = await receiver(200);
    servers.push(hook.server);
    running = await startTestDaemon();
    const { daemon, headers } = running;
    const spec = {
      id: 'notified',
      service: 'svc',
      baseline: 'v1',
      candidate: 'v2',
      window: 200,
      stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }],
      notifications: { webhooks: [{ url: hook.url, events: ['rollback.started'] }] },
    };
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    await fetch(`${daemon.url}/v1/rollouts/notified/commands/rollback`, { method: 'POST', headers, body: '{"reason":"test"}' });
    const body = await eventually('the notification', () => hook.bodies.find((b) => b.type === 'rollback.started'));
    expect(body).toMatchObject({ rolloutId: 'notified', service: 'svc', data: { reason: 'operator' } });
    // The event's place in the log's chains, so a receiver can hold the rollout's head (docs/reliability.md).
    const [stored] = [...daemon.log.read('notified', body.position as number)];
    expect(body.chain).toEqual({ seq: stored!.seq, hash: stored!.hash });
    expect(hook.bodies.every((b) => b.type === 'rollback.started')).toBe(true);
  });

  it('leaves a stage waiting for approval once the approval webhook answers 2xx, recording who approved', async () => {
    const hook = await receiver(200);
    servers.push(hook.server);
    running = await startTestDaemon();
    const { daemon, headers } = running;
    const spec = {
      id: 'approved',
      service: 'svc',
      baseline: 'v1',
      candidate: 'v2',
      window: 200,
      stages: [
        { name: 'canary', weightPercent: 10, durationMin: 0, samplesMin: 0, gates: [], approval: { webhook: hook.url } },
        { name: 'full', weightPercent: 100, durationMin: '1h', gates: [] },
      ],
    };
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    await eventually('the next stage', () => (daemon.runtime.get('approved')?.session.view.stageName === 'full' ? true : undefined));
    const approval = [...daemon.log.read('approved')].find((e) => e.type === 'command.issued');
    expect(approval?.data).toMatchObject({ command: 'approve', actor: `webhook:${hook.url}` });
    expect(hook.bodies[0]).toMatchObject({ rolloutId: 'approved', stage: 'canary', phase: 'awaitingApproval' });
  });

  it('keeps an ended rollout\'s series on /metrics for their retention, then removes them for good', async () => {
    const metricsText = async (d: TestDaemon['daemon']) => (await fetch(`${d.url}/metrics`, { headers: running!.headers })).text();
    const spec = (id: string) => ({ id, service: 'svc', baseline: 'v1', candidate: 'v2', window: 200, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }] });
    const end = async (d: TestDaemon['daemon'], headers: Record<string, string>, id: string) => {
      await fetch(`${d.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec(id)) });
      await fetch(`${d.url}/v1/rollouts/${id}/commands/abort`, { method: 'POST', headers, body: '{"reason":"test"}' });
      await eventually('the abort', () => (d.runtime.lookup(id)?.session.view.terminal ? true : undefined));
    };

    running = await startTestDaemon();
    await end(running.daemon, running.headers, 'kept');
    // Default retention (10 min): the final phase is still there to be scraped.
    expect(await metricsText(running.daemon)).toContain('sluice_rollout_phase{rollout="kept",phase="aborted"} 1');
    await running.stop();

    running = await startTestDaemon({}, undefined, { endedSeriesRetentionMs: 0 });
    const { daemon, headers } = running;
    await end(daemon, headers, 'gone');
    await eventually('the series removed', async () => (!(await metricsText(daemon)).includes('rollout="gone"') ? true : undefined));
    // A later event of the ended rollout (an operator command, rejected) does not bring them back.
    await fetch(`${daemon.url}/v1/rollouts/gone/commands/pause`, { method: 'POST', headers, body: '{}' });
    expect([...daemon.log.read('gone')].at(-1)?.type).toBe('command.rejected');
    expect(await metricsText(daemon)).not.toContain('rollout="gone"');
  });
});
