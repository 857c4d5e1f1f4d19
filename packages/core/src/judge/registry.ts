import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { errorRateEvaluator } from './errorRateGate.js';
import { healthEvaluator } from './healthGate.js';
import { latencyEvaluator } from './latencyGate.js';
import { metricEvaluator } from './metricGate.js';

/**
 * The machine's entry point to the judge: one evaluator per gate kind. The machine calls
 * `gateEvaluatorFor(gate.kind).init(config, context)` at stage entry and `.observe(config, state, event, context)` for
 * every input; `null` from observe means "not my event".
 */
type GateKind = GateConfig['kind'];

const EVALUATORS: Partial<Record<GateKind, GateEvaluator<never>>> = {
  errorRate: errorRateEvaluator as GateEvaluator<never>,
  latency: latencyEvaluator as GateEvaluator<never>,
  metric: metricEvaluator as GateEvaluator<never>,
  health: healthEvaluator as GateEvaluator<never>,
};

export function gateEvaluatorFor(kind: GateKind): GateEvaluator {
  const evaluator = EVALUATORS[kind] ?? pendingEvaluator(kind);
  return evaluator as GateEvaluator;
}

/**
 * Temporary stand-in for kinds whose evaluator is still being written: it reads sample windows and always answers
 * `inconclusive` (never a pass), so a stage using it holds rather than advancing on an unjudged gate.
 */
function pendingEvaluator(kind: GateKind): GateEvaluator<null> {
  return {
    kind,
    init: () => null,
    observe: (_config, state, event) =>
      event.type === 'samples.window'
        ? { state, result: { verdict: 'inconclusive', evidence: { summary: `${kind} gate not implemented yet; inconclusive` } } }
        : null,
  };
}
