import { startEnvironment, type Environment } from '../../examples/kubernetes-gateway-canary/environment.js';
import { runFaultyRollout } from '../../examples/kubernetes-gateway-canary/scenario.js';
import { defineSuite } from '../lib/benchmark.js';

/**
 * Fault-to-0% through the Kubernetes path: a candidate taking 50% of 400 requests/s (about 200 requests/s) starts
 * failing every request; measured is the time from the fault to the last request the gateway sends to the candidate,
 * read from the gateway's own access log. The chain: access-log tail → daemon (window 250 ms, grace 300 ms, tick 50 ms)
 * → errorRate circuit breaker → kubernetes adapter (GET, conditional JSON Patch of the HTTPRoute) → the gateway's watch
 * → routing by the new weights → the gateway reports Accepted at the new generation → the adapter's verification.
 *
 * References, documented intervals rather than measurements: Flagger rolls back after `threshold` failed checks, one per
 * `interval` (its docs' 1m × 5 = 300 s); Argo Rollouts' documented success-rate analysis measures every 5m with
 * failureLimit 3, i.e. its 4th failed measurement, 15 min after the first, fails the analysis.
 */
const FLAGGER_INTERVAL_MS = 60_000;
const FLAGGER_THRESHOLD = 5;
const ARGO_INTERVAL_MS = 5 * 60_000;
const ARGO_FAILURE_LIMIT = 3;
const RATE_PER_SECOND = 400;
const WEIGHT_PERCENT = 50;

let environment: Environment | undefined;

export default defineSuite({
  name: 'adapters: kubernetes rollback through an HTTPRoute',
  async setup() {
    environment = await startEnvironment({ ratePerSecond: RATE_PER_SECOND });
  },
  async teardown() {
    await environment?.stop();
    environment = undefined;
  },
  cases: [
    {
      name: 'fault → the gateway routing 0% to the candidate (HTTPRoute)',
      unit: 'ms',
      runs: 5,
      async measure() {
        if (!environment) throw new Error('setup did not start the environment');
        const result = await runFaultyRollout(environment, { weightPercent: WEIGHT_PERCENT });
        if (result.outcome !== 'rolledBack' || result.servedWeightPercent !== 0) throw new Error(`rollout ended ${result.outcome}, the gateway routes ${result.servedWeightPercent}%`);
        return {
          value: result.faultToZeroMs,
          detail: `candidate at ~${result.candidateRatePerSecond} requests/s; rollback decided after ${result.faultToDecisionMs ?? '?'} ms; ${result.candidateRequestsAfterFault} failed requests reached the candidate`,
        };
      },
      reference: { name: `Flagger defaults (interval 60 s × threshold ${FLAGGER_THRESHOLD})`, measure: () => FLAGGER_INTERVAL_MS * FLAGGER_THRESHOLD },
      target: { valueMax: 2_000 },
      note:
        `Test API server + a client-node gateway (in-process routing proxy), ${RATE_PER_SECOND} requests/s open-loop with the candidate at ${WEIGHT_PERCENT}%; from the fault to the last request the gateway logs for the candidate. ` +
        `References are documented intervals, not measurements: Flagger 60 s × 5 = 300 s; Argo Rollouts' success-rate example (interval 5m, failureLimit ${ARGO_FAILURE_LIMIT}) ≈ ${(ARGO_INTERVAL_MS * ARGO_FAILURE_LIMIT) / 60_000} min.`,
    },
  ],
});
