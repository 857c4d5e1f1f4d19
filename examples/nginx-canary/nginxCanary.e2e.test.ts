import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnvironment, type Environment } from './environment.js';
import { runFaultyRollout, runHealthyRollout } from './scenario.js';

/**
 * Runs the example end to end: real nginx (installed by scripts/ensure-nginx.sh when missing), the daemon as a child
 * process, nginx's access log as the only sample source. Times are reported, not asserted (benchmarks are not tests).
 */
describe('examples/nginx-canary', () => {
  let environment: Environment;
  const lines: string[] = [];

  beforeAll(async () => {
    // A generous window grace: the whole suite may be loading both cores, and late samples would only slow the test.
    environment = await startEnvironment({ ratePerSecond: 200, windowGraceMs: 1_000, log: (line) => void lines.push(line) });
  }, 300_000);

  afterAll(async () => {
    await environment?.stop();
    if (process.env.SLUICE_EXAMPLE_VERBOSE) process.stderr.write(`${lines.join('\n')}\n`);
  }, 60_000);

  it('promotes a healthy candidate through every stage to 100% on nginx', async () => {
    const result = await runHealthyRollout(environment);
    expect(result.outcome).toBe('completed');
    expect(result.stages).toEqual(['canary 10%', 'ramp 50%', 'rollout 100%']);
    expect(result.servedWeightPercent).toBe(100);
    expect(environment.daemon.output()).not.toMatch(/access-log samples not ingested|sources.accessLog is invalid/);
    expect(environment.tail.stats.malformed).toBe(0);
  }, 120_000);

  it('rolls a faulty candidate back to 0% and measures the time from the fault in nginx\'s own access log', async () => {
    const result = await runFaultyRollout(environment, { weightPercent: 50 });
    expect(result.outcome).toBe('rolledBack');
    expect(result.servedWeightPercent).toBe(0);
    expect(result.candidateRequestsAfterFault).toBeGreaterThan(0);
    expect(Number.isFinite(result.faultToZeroMs)).toBe(true);
    expect(result.faultToDecisionMs).toBeDefined();
    // After the rollback no request reaches the candidate: the last one is the one the measurement ends at.
    const late = environment.observed.filter((s) => s.variant === 'canary' && s.at > result.faultStartedAt + result.faultToZeroMs);
    expect(late).toEqual([]);
    process.stderr.write(`nginx-canary: fault → 0% in ${result.faultToZeroMs} ms (decision after ${result.faultToDecisionMs} ms)\n`);
  }, 120_000);
});
