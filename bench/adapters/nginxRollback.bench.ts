import { startEnvironment, type Environment } from '../../examples/nginx-canary/environment.js';
import { runFaultyRollout } from '../../examples/nginx-canary/scenario.js';
import { defineSuite } from '../lib/benchmark.js';

/**
 * Fault-to-0% on a real nginx: a candidate taking 50% of 400 requests/s (about 200 requests/s) starts failing every
 * request; measured is the time from the fault to the last request nginx sends to the candidate, read from nginx's own
 * access log ($msec). The chain: access-log tail → daemon (window 250 ms, grace 300 ms, tick 50 ms) → errorRate circuit
 * breaker → nginx adapter (write, nginx -t, reload, verified by the generation marker) → old worker drained.
 *
 * Reference: Flagger's documented rollback time with its defaults — the analysis runs every `interval` (60 s) and rolls
 * back after `threshold` (5) failed checks, so a total failure is rolled back after about 60 s × 5 = 300 s.
 */
const FLAGGER_INTERVAL_MS = 60_000;
const FLAGGER_THRESHOLD = 5;
const RATE_PER_SECOND = 400;
const WEIGHT_PERCENT = 50;

let environment: Environment | undefined;

export default defineSuite({
  name: 'adapters: nginx rollback on a real nginx',
  async setup() {
    environment = await startEnvironment({ ratePerSecond: RATE_PER_SECOND });
  },
  async teardown() {
    await environment?.stop();
    environment = undefined;
  },
  cases: [
    {
      name: 'fault → nginx serving 0% to the candidate',
      unit: 'ms',
      runs: 5,
      async measure() {
        if (!environment) throw new Error('setup did not start the environment');
        const result = await runFaultyRollout(environment, { weightPercent: WEIGHT_PERCENT });
        if (result.outcome !== 'rolledBack' || result.servedWeightPercent !== 0) throw new Error(`rollout ended ${result.outcome}, nginx serves ${result.servedWeightPercent}%`);
        return {
          value: result.faultToZeroMs,
          detail: `candidate at ~${result.candidateRatePerSecond} requests/s; rollback decided after ${result.faultToDecisionMs ?? '?'} ms; ${result.candidateRequestsAfterFault} failed requests reached the candidate`,
        };
      },
      reference: { name: `Flagger defaults (interval 60 s × threshold ${FLAGGER_THRESHOLD})`, measure: () => FLAGGER_INTERVAL_MS * FLAGGER_THRESHOLD },
      target: { valueMax: 2_000 },
      note: `Private nginx 1.22 (1 worker), ${RATE_PER_SECOND} requests/s open-loop with the candidate at ${WEIGHT_PERCENT}%; from the fault starting to the last request nginx logs for the candidate. The reference is Flagger's documented rollback time for its defaults (60 s × 5), not a measurement.`,
    },
  ],
});
