import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { breakerVerdict, initialStreak, recordBlock, type BreakerStreak } from './breaker.js';
import { roundForEvidence } from './windowStats.js';

type MetricConfig = Extract<GateConfig, { kind: 'metric' }>;

/**
 * Absolute bound on a custom metric: each `metric.observed` of the configured name and variant is one judged block;
 * a value outside [min, max] is failing; `sustainWindows` failing observations in a row fail the gate. A non-finite
 * value (NaN from a 0/0 query) is failing, never a pass: no data is never a pass.
 */
export interface MetricState {
  /** The judged observations (nested, not spread: see ErrorRateState). */
  streak: BreakerStreak;
  lastValue: number | null;
}

export const metricEvaluator: GateEvaluator<MetricState> = {
  kind: 'metric',
  init: () => ({ streak: initialStreak(), lastValue: null }),
  observe(config, state, event) {
    if (event.type !== 'metric.observed') return null;
    const gate = config as MetricConfig;
    if (event.data.name !== gate.metric || event.data.variant !== gate.variant) return null;
    const value = event.data.value;
    const failing = !Number.isFinite(value) || (gate.min !== undefined && value < gate.min) || (gate.max !== undefined && value > gate.max);
    const next: MetricState = { streak: recordBlock(state.streak, failing), lastValue: Number.isFinite(value) ? roundForEvidence(value) : null };
    const bounds = [gate.min !== undefined ? `≥ ${gate.min}` : null, gate.max !== undefined ? `≤ ${gate.max}` : null].filter(Boolean).join(' and ');
    const streak = next.streak.failingStreak > 0 ? `, failing for ${next.streak.failingStreak} of ${gate.sustainWindows} observation(s)` : '';
    return {
      state: next,
      result: {
        verdict: breakerVerdict(next.streak, gate.sustainWindows),
        evidence: {
          summary: `${gate.variant} ${gate.metric} = ${next.lastValue ?? String(value)} ${failing ? 'outside' : 'within'} bounds (${bounds})${streak}`,
          metric: gate.metric,
          variant: gate.variant,
          value: next.lastValue,
          min: gate.min ?? null,
          max: gate.max ?? null,
          failingStreak: next.streak.failingStreak,
          sustainWindows: gate.sustainWindows,
        },
      },
    };
  },
};
