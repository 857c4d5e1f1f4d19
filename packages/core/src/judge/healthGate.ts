import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';

type HealthConfig = Extract<GateConfig, { kind: 'health' }>;

/**
 * Health checks of the candidate: `failuresMax` consecutive failed probes fail the gate; a successful probe resets
 * the count and passes; a failed probe short of the limit is inconclusive (it blocks advancing but does not roll back).
 * No probe yet is never a pass (the gate reports nothing until the first probe, and the machine treats it as pending).
 */
export interface HealthState {
  consecutiveFailures: number;
  probes: number;
  lastDetail: string | null;
}

export const healthEvaluator: GateEvaluator<HealthState> = {
  kind: 'health',
  init: () => ({ consecutiveFailures: 0, probes: 0, lastDetail: null }),
  observe(config, state, event) {
    if (event.type !== 'health.checked') return null;
    const gate = config as HealthConfig;
    const next: HealthState = {
      consecutiveFailures: event.data.ok ? 0 : state.consecutiveFailures + 1,
      probes: state.probes + 1,
      lastDetail: event.data.detail ?? null,
    };
    const verdict = event.data.ok ? 'pass' : next.consecutiveFailures >= gate.failuresMax ? 'fail' : 'inconclusive';
    const target = event.data.target ? ` of ${event.data.target}` : '';
    const detail = event.data.detail ? ` (${event.data.detail})` : '';
    return {
      state: next,
      result: {
        verdict,
        evidence: {
          summary: event.data.ok
            ? `health probe${target} succeeded${detail}`
            : `${next.consecutiveFailures} of ${gate.failuresMax} consecutive health probe(s)${target} failed${detail}`,
          ok: event.data.ok,
          consecutiveFailures: next.consecutiveFailures,
          failuresMax: gate.failuresMax,
          probes: next.probes,
          target: event.data.target ?? null,
          detail: event.data.detail ?? null,
        },
      },
    };
  },
};
