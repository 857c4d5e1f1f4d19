import type { NewInputEvent, OperatorCommand } from '../../events/eventTypes.js';
import type { GateEvaluator } from '../../judge/gate.js';
import { validateSpec } from '../../spec/parseSpec.js';
import type { GateConfig, RolloutSpec, RolloutSpecInput } from '../../spec/specSchema.js';
import type { GateEvaluatorLookup } from '../rolloutContext.js';

/**
 * Fixtures for machine, session and replay tests: spec builders, input builders, and small stand-in gate evaluators
 * with obvious semantics, so machine tests do not depend on the judge's statistics.
 */
export const T0 = Date.UTC(2026, 0, 15, 14, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60_000;

export function testSpec(overrides: Partial<RolloutSpecInput> = {}): RolloutSpec {
  return validateSpec({
    id: 'checkout-v2',
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: 5_000,
    stages: [
      { name: 'canary', weightPercent: 5, durationMin: '1m', durationMax: '5m', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }] },
      { name: 'ramp', weightPercent: 50, durationMin: '1m', durationMax: '5m', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }] },
      { name: 'rollout', weightPercent: 100, durationMin: '1m', durationMax: '5m', samplesMin: 10, onFail: 'hold', gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 1 }] },
    ],
    ...overrides,
  });
}

export const input = {
  created: (spec: RolloutSpec, at = T0): NewInputEvent => ({ type: 'rollout.created', at, data: { spec } }),
  applied: (generation: number, weightPercent: number, at: number): NewInputEvent => ({ type: 'weight.applied', at, data: { generation, weightPercent } }),
  applyFailed: (generation: number, weightPercent: number, at: number): NewInputEvent => ({
    type: 'weight.applyFailed',
    at,
    data: { generation, weightPercent, error: 'nginx -t failed', code: 'SLUICE_E_ADAPTER_APPLY' },
  }),
  /** A closed window ending at `at`, `canaryCount` canary requests of which `canaryErrors` failed. */
  window: (at: number, canaryCount: number, canaryErrors = 0, baselineCount = 100, windowMs = 5_000): NewInputEvent => ({
    type: 'samples.window',
    at,
    data: {
      windowStartAt: at - windowMs,
      windowEndAt: at,
      baseline: { count: baselineCount, errors: 0, latencyHistogram: '' },
      canary: { count: canaryCount, errors: canaryErrors, latencyHistogram: '' },
    },
  }),
  health: (ok: boolean, at: number): NewInputEvent => ({ type: 'health.checked', at, data: { ok, target: 'http://candidate/healthz' } }),
  metric: (name: string, value: number, at: number): NewInputEvent => ({ type: 'metric.observed', at, data: { name, variant: 'canary', value } }),
  command: (command: OperatorCommand, at: number, actor = 'alice'): NewInputEvent => ({ type: 'command.issued', at, data: { command, actor } }),
  tick: (at: number): NewInputEvent => ({ type: 'tick', at, data: {} }),
};

type Config<K extends GateConfig['kind']> = Extract<GateConfig, { kind: K }>;

/** Canary error rate above maxPercent for sustainWindows consecutive windows fails; fewer than samplesMin is inconclusive. */
export const testErrorRateEvaluator: GateEvaluator<{ failing: number }> = {
  kind: 'errorRate',
  init: () => ({ failing: 0 }),
  observe(config, state, event) {
    if (event.type !== 'samples.window') return null;
    const gate = config as Config<'errorRate'>;
    const { count, errors } = event.data.canary;
    if (count < gate.samplesMin) return { state, result: { verdict: 'inconclusive', evidence: { summary: `n=${count} < ${gate.samplesMin}`, count } } };
    const ratePercent = (100 * errors) / count;
    const failing = ratePercent > gate.maxPercent ? state.failing + 1 : 0;
    const verdict = failing >= gate.sustainWindows ? 'fail' : 'pass';
    return { state: { failing }, result: { verdict, evidence: { summary: `canary error rate ${ratePercent}% vs ${gate.maxPercent}%`, ratePercent, count } } };
  },
};

/** failuresMax consecutive failed probes fail; an ok probe passes. */
export const testHealthEvaluator: GateEvaluator<{ failures: number }> = {
  kind: 'health',
  init: () => ({ failures: 0 }),
  observe(config, state, event) {
    if (event.type !== 'health.checked') return null;
    const failures = event.data.ok ? 0 : state.failures + 1;
    const verdict = failures >= (config as Config<'health'>).failuresMax ? 'fail' : event.data.ok ? 'pass' : 'inconclusive';
    return { state: { failures }, result: { verdict, evidence: { summary: `${failures} consecutive failed probes`, failures } } };
  },
};

/** The canary share of a window more than 5 points away from the applied weight fails. */
export const testSampleRatioEvaluator: GateEvaluator<null> = {
  kind: 'sampleRatio',
  init: () => null,
  observe(_config, state, event, context) {
    if (event.type !== 'samples.window' || context.weightAppliedPercent === null) return null;
    const total = event.data.canary.count + event.data.baseline.count;
    if (total === 0) return null;
    const sharePercent = (100 * event.data.canary.count) / total;
    const verdict = Math.abs(sharePercent - context.weightAppliedPercent) > 5 ? 'fail' : 'pass';
    return { state, result: { verdict, evidence: { summary: `canary share ${sharePercent}% vs weight ${context.weightAppliedPercent}%`, sharePercent } } };
  },
};

/** A metric outside [min, max] fails. */
export const testMetricEvaluator: GateEvaluator<null> = {
  kind: 'metric',
  init: () => null,
  observe(config, state, event) {
    const gate = config as Config<'metric'>;
    if (event.type !== 'metric.observed' || event.data.name !== gate.metric || event.data.variant !== gate.variant) return null;
    const value = event.data.value;
    const bad = (gate.min !== undefined && value < gate.min) || (gate.max !== undefined && value > gate.max);
    return { state, result: { verdict: bad ? 'fail' : 'pass', evidence: { summary: `${gate.metric}=${value}`, value } } };
  },
};

const TEST_EVALUATORS: Record<string, GateEvaluator> = {
  errorRate: testErrorRateEvaluator as GateEvaluator,
  health: testHealthEvaluator as GateEvaluator,
  sampleRatio: testSampleRatioEvaluator as GateEvaluator,
  metric: testMetricEvaluator as GateEvaluator,
};

export const testGateEvaluatorFor: GateEvaluatorLookup = (kind) => TEST_EVALUATORS[kind];
