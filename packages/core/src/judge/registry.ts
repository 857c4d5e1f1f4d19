import type { GateConfig } from '../spec/specSchema.js';
import type { GateEvaluator } from './gate.js';
import { argoEvaluator } from './argoGate.js';
import { compareErrorRateEvaluator } from './compareErrorRateGate.js';
import { compareLatencyEvaluator } from './compareLatencyGate.js';
import { errorRateEvaluator } from './errorRateGate.js';
import { flaggerEvaluator } from './flaggerGate.js';
import { healthEvaluator } from './healthGate.js';
import { latencyEvaluator } from './latencyGate.js';
import { metricEvaluator } from './metricGate.js';
import { sampleRatioEvaluator } from './sampleRatioGate.js';

/**
 * The machine's entry point to the judge: one evaluator per gate kind. The machine calls
 * `gateEvaluatorFor(gate.kind).init(config, context)` at stage entry and `.observe(config, state, event, context)` for
 * every input; `null` from observe means "not my event".
 */
type GateKind = GateConfig['kind'];

const EVALUATORS: Record<GateKind, GateEvaluator<never>> = {
  errorRate: errorRateEvaluator as GateEvaluator<never>,
  latency: latencyEvaluator as GateEvaluator<never>,
  metric: metricEvaluator as GateEvaluator<never>,
  compareErrorRate: compareErrorRateEvaluator as GateEvaluator<never>,
  compareLatency: compareLatencyEvaluator as GateEvaluator<never>,
  sampleRatio: sampleRatioEvaluator as GateEvaluator<never>,
  health: healthEvaluator as GateEvaluator<never>,
  flagger: flaggerEvaluator as GateEvaluator<never>,
  argo: argoEvaluator as GateEvaluator<never>,
};

export function gateEvaluatorFor(kind: GateKind): GateEvaluator {
  const evaluator = EVALUATORS[kind];
  if (!evaluator) throw new TypeError(`no gate evaluator for kind "${String(kind)}"; the spec schema should have refused it`);
  return evaluator as GateEvaluator;
}
