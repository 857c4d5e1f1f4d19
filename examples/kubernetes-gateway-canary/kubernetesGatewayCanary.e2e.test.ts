import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnvironment, type Environment } from './environment.js';
import { runFaultyRollout, runHandEditDuringStage, runHealthyRollout } from './scenario.js';

/**
 * Runs the example end to end: the test API server, the real kubectl (scripts/ensure-kubectl.sh), a gateway that
 * routes by the HTTPRoute's weights, the daemon as a child process with the kubernetes adapter, and the gateway's access
 * log as the only sample source. Times are reported, not asserted (benchmarks are not tests).
 */
describe('examples/kubernetes-gateway-canary', () => {
  let environment: Environment;
  const lines: string[] = [];

  beforeAll(async () => {
    environment = await startEnvironment({ ratePerSecond: 200, windowGraceMs: 1_000, log: (line) => void lines.push(line) });
  }, 300_000);

  afterAll(async () => {
    await environment?.stop();
    if (process.env.SLUICE_EXAMPLE_VERBOSE) process.stderr.write(`${lines.join('\n')}\n`);
  }, 60_000);

  it('promotes a healthy candidate through every stage to 100% of the gateway\'s traffic', async () => {
    const result = await runHealthyRollout(environment);
    expect(result.outcome).toBe('completed');
    expect(result.stages).toEqual(['canary 10%', 'ramp 50%', 'rollout 100%']);
    expect(result.servedWeightPercent).toBe(100);
    expect(environment.tail.stats.malformed).toBe(0);
    // The testers' header route and everything else in the route are as route.yaml wrote them.
    const route = JSON.parse(await environment.kubectlRun(['get', 'httproute', 'checkout', '-o', 'json'])) as { spec: { rules: { name: string; backendRefs: { weight: number }[] }[] } };
    expect(route.spec.rules.map((r) => [r.name, r.backendRefs.map((b) => b.weight)])).toEqual([
      ['testers', [1]],
      ['main', [0, 10_000]],
    ]);
  }, 150_000);

  it('rolls a faulty candidate back to 0%, measured in the gateway\'s own access log', async () => {
    const result = await runFaultyRollout(environment, { weightPercent: 50 });
    expect(result.outcome).toBe('rolledBack');
    expect(result.servedWeightPercent).toBe(0);
    expect(result.candidateRequestsAfterFault).toBeGreaterThan(0);
    expect(result.faultToDecisionMs).toBeDefined();
    const late = environment.observed.filter((s) => s.variant === 'canary' && s.at > result.faultStartedAt + result.faultToZeroMs);
    expect(late).toEqual([]);
    process.stderr.write(`kubernetes-gateway-canary: fault → 0% in ${result.faultToZeroMs} ms (decision after ${result.faultToDecisionMs} ms)\n`);
  }, 120_000);

  it('sees a kubectl edit of the weights in the middle of a stage as drift, through the watch, and applies its weight again', async () => {
    const result = await runHandEditDuringStage(environment);
    expect(result.driftRecorded).toBe(true);
    expect(result.routeWeights).toEqual([8_000, 2_000]);
    // The daemon's periodic read-back is 60 s away and the scenario waits 20 s at most: only the watch undoes it in time.
    expect(result.outcome).toBe('aborted');
  }, 120_000);
});
