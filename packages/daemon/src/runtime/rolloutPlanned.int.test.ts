import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../testing/runCli.js';
import { startTestDaemon } from '../testing/startTestDaemon.js';

let running: Awaited<ReturnType<typeof startTestDaemon>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('the pre-flight plan at creation', () => {
  it('answers and logs what the expected traffic can prove, once, and replay is unaffected', async () => {
    running = await startTestDaemon();
    const { daemon, headers, dir } = running;
    const post = (spec: object) => fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
    const spec = { id: 'planned', service: 's', baseline: 'v1', candidate: 'v2', expectedTraffic: { requestsPerSecond: 5, errorRatePercent: 0.1 } };
    const created = await post(spec);
    expect(created.status).toBe(201);
    const body = (await created.json()) as { plan: { traffic: { requestsPerSecond: number; source: string }; warnings: string[]; stages: Array<{ stage: string }> } };
    expect(body.plan.traffic).toEqual({ requestsPerSecond: 5, errorRate: 0.001, source: "the spec's expectedTraffic" });
    expect(body.plan.stages.map((s) => s.stage)).toEqual(['canary', 'ramp', 'rollout']);
    expect(body.plan.warnings.some((w) => /^stage canary: compareErrorRate cannot detect/.test(w))).toBe(true);

    // Posting the same spec again creates nothing and plans nothing.
    expect((await post(spec)).status).toBe(200);
    const planned = [...daemon.log.read('planned')].filter((e) => e.type === 'rollout.planned');
    expect(planned).toHaveLength(1);
    expect(planned[0]!.data).toEqual(body.plan);

    // A spec without expectedTraffic gets no plan.
    const plain = (await (await post({ ...spec, id: 'unplanned', expectedTraffic: undefined })).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('plan');
    expect([...daemon.log.read('unplanned')].some((e) => e.type === 'rollout.planned')).toBe(false);

    // Read-only commands work beside the running daemon; the machine ignores the plan, so every decision replays.
    const replay = await runCli('replay', '--db', join(dir, 'sluice.db'));
    expect(replay.err).toBe('');
    expect(replay.code).toBe(0);
  });
});
