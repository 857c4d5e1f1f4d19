import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnvironment, type Environment } from './environment.js';
import { runFaultyRollout, runHealthyRollout } from './scenario.js';

/**
 * Runs the example end to end: three real gRPC services, the daemon (a child process) with --xds-listen, and two
 * client processes on @grpc/grpc-js-xds with their bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG — the real xDS client splits
 * their calls by the weights the envoy adapter serves, and their interceptors are the only source of samples. Times
 * are reported, not asserted (benchmarks are not tests).
 */
describe('examples/grpc-xds-canary', () => {
  let environment: Environment;
  const lines: string[] = [];

  beforeAll(async () => {
    // A generous window grace: the whole suite may be loading both cores, and late samples would only slow the test.
    environment = await startEnvironment({ ratePerSecond: 200, windowGraceMs: 1_000, log: (line) => void lines.push(line) });
  }, 120_000);

  afterAll(async () => {
    await environment?.stop();
    if (process.env.SLUICE_EXAMPLE_VERBOSE) process.stderr.write(`${lines.join('\n')}\n`);
  }, 60_000);

  it('promotes a healthy candidate through every stage until the clients send it every call', async () => {
    const result = await runHealthyRollout(environment);
    expect(result.outcome).toBe('completed');
    expect(result.stages).toEqual(['canary 10%', 'ramp 50%', 'rollout 100%']);
    expect(result.candidateSharePercent).toBe(100);
    // (A first apply may wait for a client process still starting under load and be retried: that is not a failure.)
    expect(environment.daemon.output()).not.toMatch(/cannot serve the RouteConfiguration|rejected .* \(NACK\)/);
  }, 120_000);

  it('rolls a faulty candidate back until the clients send it no call, and measures the time from the fault', async () => {
    const result = await runFaultyRollout(environment, { weightPercent: 50 });
    expect(result.outcome).toBe('rolledBack');
    expect(result.candidateCallsAfterFault).toBeGreaterThan(0);
    expect(result.candidateShareAfterPercent).toBe(0);
    // After the measurement's end no call reached v3: the last one is the one the measurement ends at.
    const late = environment.clients.outcomes.filter((o) => o.version === 'v3' && o.at > result.faultStartedAt + result.faultToZeroMs);
    expect(late).toEqual([]);
    process.stderr.write(`grpc-xds-canary: fault → 0% in ${result.faultToZeroMs} ms (decision after ${result.faultToDecisionMs} ms)\n`);
  }, 120_000);
});
