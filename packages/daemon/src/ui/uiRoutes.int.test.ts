import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon } from '../testing/startTestDaemon.js';

type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const spec = JSON.stringify({
  id: 'checkout-v2',
  service: 'checkout',
  baseline: 'v1',
  candidate: 'v2',
  window: 200,
  stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }] }],
});

describe('dashboard routes', () => {
  it('serves the page and its assets without the token, under a strict Content-Security-Policy', async () => {
    running = await startTestDaemon();
    const { url } = running.daemon;
    for (const path of ['/ui', '/ui/rollouts/anything', '/ui/assets/dashboard.js', '/ui/assets/report.js', '/ui/assets/uPlot.js', '/ui/assets/report.css']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const page = await (await fetch(`${url}/ui`)).text();
    // No inline script or handler: everything runs from the daemon's own script files.
    expect(page).not.toMatch(/<script>|\son[a-z]+=/i);
    expect((await fetch(`${url}/ui/assets/secrets.txt`)).status).toBe(404);
    expect((await fetch(`${url}/ui/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('serves the report data as a read: the token, unless --open-reads; 404 for an unknown rollout', async () => {
    running = await startTestDaemon();
    const { daemon, headers } = running;
    await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: spec });
    expect((await fetch(`${daemon.url}/v1/rollouts/checkout-v2/report`)).status).toBe(401);
    const answer = await fetch(`${daemon.url}/v1/rollouts/checkout-v2/report`, { headers });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { report: { format: number; rollout: { id: string }; stages: unknown[] }; asOfPosition: number; stale: boolean };
    expect(body.report).toMatchObject({ format: 1, rollout: { id: 'checkout-v2' } });
    expect(body.report.stages).toHaveLength(1);
    expect(body.asOfPosition).toBeGreaterThan(0);
    expect(body.stale).toBe(false);
    const unknown = await fetch(`${daemon.url}/v1/rollouts/nope/report`, { headers });
    expect(unknown.status).toBe(404);
    await running.stop();
    running = await startTestDaemon({ openReads: true });
    expect((await fetch(`${running.daemon.url}/v1/rollouts`)).status).toBe(200);
    // Commands stay behind the token whatever --open-reads says.
    expect((await fetch(`${running.daemon.url}/v1/rollouts/checkout-v2/commands/rollback`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});
