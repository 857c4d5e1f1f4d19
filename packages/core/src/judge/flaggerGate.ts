import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { addWindowToIntervals, emptyIntervals, type IntervalAccumulator, type IntervalMeasurement } from './intervalChecks.js';
import { roundForEvidence } from './windowStats.js';

type FlaggerConfig = Extract<GateConfig, { kind: 'flagger' }>;

/**
 * Flagger's canary analysis with its two built-in metrics, as its scheduler does it (fluxcd/flagger
 * pkg/controller/scheduler.go and scheduler_metrics.go):
 *  - every `interval` one check runs: request-success-rate over the interval ≥ `successRatePercentMin` and
 *    request-duration (p99) ≤ `latencyMsP99Max`. A failed check increments `failedChecks`; a passing check does not
 *    reset it (it is reset only when a new revision restarts the analysis).
 *  - no canary traffic in the interval: the query finds no values (or NaN, treated as no values since flagger#1095),
 *    Flagger logs "Halt advancement no values found … not receiving traffic" and counts a failed check.
 *    (Before #1095 a NaN compared false against both bounds and the check passed: flagger#1011, #1098.)
 *  - before running a check, if `failedChecks ≥ threshold` Flagger rolls back. So the rollback happens at the
 *    check after the threshold-th failure: "interval × threshold" after the first failure when every check fails.
 * Verdict: `fail` at that rollback point; `pass` when the last check passed; `inconclusive` otherwise.
 */
export interface FlaggerState {
  intervals: IntervalAccumulator;
  failedChecks: number;
  checks: number;
  lastCheck: (IntervalMeasurement & { ok: boolean; reason: string }) | null;
  rolledBack: boolean;
}

export const flaggerEvaluator: GateEvaluator<FlaggerState> = {
  kind: 'flagger',
  init: () => ({ intervals: emptyIntervals(), failedChecks: 0, checks: 0, lastCheck: null, rolledBack: false }),
  observe(config, state, event) {
    if (event.type !== 'samples.window') return null;
    const gate = config as FlaggerConfig;
    const { acc, closed } = addWindowToIntervals(state.intervals, event.data, gate.interval);
    let next: FlaggerState = { ...state, intervals: acc };
    for (const measurement of closed) next = advanceFlagger(gate, next, measurement);
    const verdict = next.rolledBack ? 'fail' : next.lastCheck?.ok ? 'pass' : 'inconclusive';
    const last = next.lastCheck;
    const summary = next.rolledBack
      ? `flagger: ${next.failedChecks} failed checks reached threshold ${gate.threshold}; rolling back (last: ${last?.reason ?? 'n/a'})`
      : last
        ? `flagger: check ${next.checks} ${last.ok ? 'passed' : 'failed'} (${last.reason}); ${next.failedChecks}/${gate.threshold} failed checks`
        : 'flagger: no check yet (first interval still open)';
    return {
      state: next,
      result: {
        verdict,
        evidence: {
          summary,
          failedChecks: next.failedChecks,
          threshold: gate.threshold,
          checks: next.checks,
          intervalMs: gate.interval,
          canaryCount: last?.canaryCount ?? 0,
          canaryErrors: last?.canaryErrors ?? 0,
          successRatePercent: last?.successRatePercent === null || !last ? null : roundForEvidence(last.successRatePercent),
          successRatePercentMin: gate.successRatePercentMin,
          latencyMsP99: last?.latencyMsP99 === null || !last ? null : roundForEvidence(last.latencyMsP99),
          latencyMsP99Max: gate.latencyMsP99Max,
        },
      },
    };
  },
};

/** One scheduler run at the end of an interval: roll back if the threshold was reached, else run the check. */
export function advanceFlagger(gate: FlaggerConfig, state: FlaggerState, measurement: IntervalMeasurement): FlaggerState {
  if (state.rolledBack) return state;
  if (state.failedChecks >= gate.threshold) return { ...state, rolledBack: true };
  const check = checkOf(gate, measurement);
  return { ...state, checks: state.checks + 1, failedChecks: state.failedChecks + (check.ok ? 0 : 1), lastCheck: check };
}

function checkOf(gate: FlaggerConfig, m: IntervalMeasurement): IntervalMeasurement & { ok: boolean; reason: string } {
  if (m.successRatePercent === null || m.latencyMsP99 === null) return { ...m, ok: false, reason: 'no values found, canary not receiving traffic' };
  if (m.successRatePercent < gate.successRatePercentMin) {
    return { ...m, ok: false, reason: `success rate ${m.successRatePercent.toFixed(2)}% < ${gate.successRatePercentMin}%` };
  }
  if (m.latencyMsP99 > gate.latencyMsP99Max) return { ...m, ok: false, reason: `request duration p99 ${m.latencyMsP99.toFixed(1)} ms > ${gate.latencyMsP99Max} ms` };
  return { ...m, ok: true, reason: `success rate ${m.successRatePercent.toFixed(2)}%, p99 ${m.latencyMsP99.toFixed(1)} ms` };
}
