import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestDaemon } from '../testing/startTestDaemon.js';

/**
 * The log holds a gate verdict only when it says something new (docs/log.md), so the gate verdict series of /metrics
 * come from the rollout's state — every gate's latest verdict — not only from the committed events: a restarted daemon
 * shows them at once, before any verdict changes.
 */
type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
let dir = '';
afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SERIES = 'sluice_gate_verdict{rollout="gated",stage="canary",gate="errorRate",verdict="pass"} 1';

describe('gate verdict series', () => {
  it('are set from the state, so they are there right after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-gate-series-'));
    const db = join(dir, 'events.db');
    const metricsText = async () => (await fetch(`${running!.daemon.url}/metrics`, { headers: running!.headers })).text();
    running = await startTestDaemon({ db });
    const { daemon, headers } = running;
    const spec = { id: 'gated', service: 'svc', baseline: 'v1', candidate: 'v2', window: 200, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [{ kind: 'errorRate', maxPercent: 50, samplesMin: 1, confidence: 0 }] }] };
    expect((await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) })).status).toBe(201);
    await eventually('the weight applied', () => (daemon.runtime.lookup('gated')?.session.view.stageWeightAppliedAt !== null ? true : undefined));
    const samples = () => Array.from({ length: 20 }, (_, i) => JSON.stringify({ variant: i % 2 ? 'canary' : 'baseline', ok: true, latencyMs: 5 })).join('\n');
    await eventually('a pass verdict', async () => {
      await fetch(`${daemon.url}/v1/rollouts/gated/samples`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-ndjson' }, body: samples() });
      return (await metricsText()).includes(SERIES) ? true : undefined;
    });
    await running.stop();
    running = await startTestDaemon({ db });
    expect(await metricsText()).toContain(SERIES);
  });
});
