import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { addWindowToIntervals, emptyIntervals, type IntervalAccumulator, type IntervalMeasurement } from './intervalChecks.js';
import { roundForEvidence } from './windowStats.js';

type ArgoConfig = Extract<GateConfig, { kind: 'argo' }>;

/** Argo's default `consecutiveErrorLimit`: more consecutive measurement errors than this errors the metric. */
export const ARGO_CONSECUTIVE_ERROR_LIMIT = 4;

/**
 * Argo Rollouts' AnalysisRun with two Prometheus metrics, as its analysis controller does it:
 *  - every `interval` each metric takes one measurement over the last interval: `success-rate` with
 *    successCondition `result[0] >= successRatePercentMin/100`, `latency-p99` with `result[0] <= latencyMsP99Max/1000`.
 *    A measurement whose condition is false is Failed; a metric whose Failed count exceeds `failureLimit`
 *    (cumulative, not consecutive) fails, which fails the run and aborts the rollout at once.
 *  - no canary traffic: the query returns an empty vector, `result[0]` cannot be evaluated ("reflect: slice index out
 *    of range", argo-rollouts#1466) and the measurement is an Error; more than `consecutiveErrorLimit` (default 4)
 *    consecutive Errors error the metric, and an errored run aborts the rollout too. A successful measurement resets
 *    the consecutive-error count.
 * Verdict: `fail` when either metric failed or errored; `pass` when the last measurements succeeded; else inconclusive.
 */
export interface ArgoState {
  intervals: IntervalAccumulator;
  failedSuccessRate: number;
  failedLatency: number;
  consecutiveErrors: number;
  measurements: number;
  last: (IntervalMeasurement & { phase: 'Successful' | 'Failed' | 'Error'; reason: string }) | null;
  failedReason: string | null;
}

export const argoEvaluator: GateEvaluator<ArgoState> = {
  kind: 'argo',
  init: () => ({ intervals: emptyIntervals(), failedSuccessRate: 0, failedLatency: 0, consecutiveErrors: 0, measurements: 0, last: null, failedReason: null }),
  observe(config, state, event) {
    if (event.type !== 'samples.window') return null;
    const gate = config as ArgoConfig;
    const { acc, closed } = addWindowToIntervals(state.intervals, event.data, gate.interval);
    let next: ArgoState = { ...state, intervals: acc };
    for (const m of closed) next = advanceArgo(gate, next, m);
    const verdict = next.failedReason !== null ? 'fail' : next.last?.phase === 'Successful' ? 'pass' : 'inconclusive';
    const last = next.last;
    const summary = next.failedReason !== null
      ? `argo: analysis failed (${next.failedReason}); aborting`
      : last
        ? `argo: measurement ${next.measurements} ${last.phase} (${last.reason}); failed ${next.failedSuccessRate} success-rate / ${next.failedLatency} latency of limit ${gate.failureLimit}`
        : 'argo: no measurement yet (first interval still open)';
    return {
      state: next,
      result: {
        verdict,
        evidence: {
          summary,
          measurements: next.measurements,
          failedSuccessRate: next.failedSuccessRate,
          failedLatency: next.failedLatency,
          failureLimit: gate.failureLimit,
          consecutiveErrors: next.consecutiveErrors,
          consecutiveErrorLimit: ARGO_CONSECUTIVE_ERROR_LIMIT,
          intervalMs: gate.interval,
          canaryCount: last?.canaryCount ?? 0,
          canaryErrors: last?.canaryErrors ?? 0,
          successRatePercent: !last || last.successRatePercent === null ? null : roundForEvidence(last.successRatePercent),
          successRatePercentMin: gate.successRatePercentMin,
          latencyMsP99: !last || last.latencyMsP99 === null ? null : roundForEvidence(last.latencyMsP99),
          latencyMsP99Max: gate.latencyMsP99Max,
        },
      },
    };
  },
};

/** One measurement of both metrics at the end of an interval; no-op once the run has failed. */
export function advanceArgo(gate: ArgoConfig, state: ArgoState, m: IntervalMeasurement): ArgoState {
  if (state.failedReason !== null) return state;
  const measurements = state.measurements + 1;
  if (m.successRatePercent === null || m.latencyMsP99 === null) {
    const consecutiveErrors = state.consecutiveErrors + 1;
    const errored = consecutiveErrors > ARGO_CONSECUTIVE_ERROR_LIMIT;
    return {
      ...state,
      measurements,
      consecutiveErrors,
      last: { ...m, phase: 'Error', reason: 'empty query result, canary not receiving traffic' },
      failedReason: errored ? `${consecutiveErrors} consecutive measurement errors > consecutiveErrorLimit ${ARGO_CONSECUTIVE_ERROR_LIMIT}` : null,
    };
  }
  const successOk = m.successRatePercent >= gate.successRatePercentMin;
  const latencyOk = m.latencyMsP99 <= gate.latencyMsP99Max;
  const failedSuccessRate = state.failedSuccessRate + (successOk ? 0 : 1);
  const failedLatency = state.failedLatency + (latencyOk ? 0 : 1);
  const reasons = [`success rate ${m.successRatePercent.toFixed(2)}%${successOk ? '' : ` < ${gate.successRatePercentMin}%`}`, `p99 ${m.latencyMsP99.toFixed(1)} ms${latencyOk ? '' : ` > ${gate.latencyMsP99Max} ms`}`];
  let failedReason: string | null = null;
  if (failedSuccessRate > gate.failureLimit) failedReason = `success-rate failed ${failedSuccessRate} times > failureLimit ${gate.failureLimit}`;
  else if (failedLatency > gate.failureLimit) failedReason = `latency-p99 failed ${failedLatency} times > failureLimit ${gate.failureLimit}`;
  return {
    ...state,
    measurements,
    consecutiveErrors: 0,
    failedSuccessRate,
    failedLatency,
    last: { ...m, phase: successOk && latencyOk ? 'Successful' : 'Failed', reason: reasons.join(', ') },
    failedReason,
  };
}
