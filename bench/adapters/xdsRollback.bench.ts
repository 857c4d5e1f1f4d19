import { startEnvironment, type Environment } from '../../examples/grpc-xds-canary/environment.js';
import { runFaultyRollout } from '../../examples/grpc-xds-canary/scenario.js';
import { defineSuite } from '../lib/benchmark.js';

/**
 * Fault-to-0% for proxyless gRPC: a candidate taking 50% of 200 calls/s (two grpc-js-xds client processes) starts
 * failing every call; measured is the time from the fault to the last call the clients saw answered by the candidate.
 * The chain: client interceptors → NDJSON samples → daemon (window 250 ms, grace 300 ms, tick 50 ms) → errorRate
 * circuit breaker → envoy adapter (RouteConfiguration at 0% over ADS, ACKed by both nodes) → the clients' xDS
 * resolvers switch their picker.
 *
 * Reference: Flagger's documented rollback time with its defaults (60 s interval × 5 failed checks = 300 s).
 */
const FLAGGER_INTERVAL_MS = 60_000;
const FLAGGER_THRESHOLD = 5;
const RATE_PER_SECOND = 200;
const WEIGHT_PERCENT = 50;

let environment: Environment | undefined;

export default defineSuite({
  name: 'adapters: envoy (xDS) rollback with proxyless gRPC clients',
  async setup() {
    environment = await startEnvironment({ ratePerSecond: RATE_PER_SECOND });
    // The first rollout brings the listener, clusters and route; the faulty runs take the route over from it.
    const { runHealthyRollout } = await import('../../examples/grpc-xds-canary/scenario.js');
    await runHealthyRollout(environment);
  },
  async teardown() {
    await environment?.stop();
    environment = undefined;
  },
  cases: [
    {
      name: 'fault → the gRPC clients sending 0% to the candidate',
      unit: 'ms',
      runs: 5,
      async measure() {
        if (!environment) throw new Error('setup did not start the environment');
        const result = await runFaultyRollout(environment, { weightPercent: WEIGHT_PERCENT, settleMs: 1_000 });
        if (result.outcome !== 'rolledBack' || result.candidateShareAfterPercent !== 0) throw new Error(`rollout ended ${result.outcome}, the clients send ${result.candidateShareAfterPercent}% to the candidate`);
        return {
          value: result.faultToZeroMs,
          detail: `candidate at ~${result.candidateRatePerSecond} calls/s; rollback decided after ${result.faultToDecisionMs ?? '?'} ms; ${result.candidateCallsAfterFault} failed calls reached the candidate`,
        };
      },
      reference: { name: `Flagger defaults (interval 60 s × threshold ${FLAGGER_THRESHOLD})`, measure: () => FLAGGER_INTERVAL_MS * FLAGGER_THRESHOLD },
      target: { valueMax: 1_000 },
      note: `examples/grpc-xds-canary: ${RATE_PER_SECOND} calls/s open-loop from two grpc-js-xds client processes, candidate at ${WEIGHT_PERCENT}%; from the fault starting to the last call a client saw answered by the candidate. The reference is Flagger's documented rollback time for its defaults (60 s × 5), not a measurement.`,
    },
  ],
});
