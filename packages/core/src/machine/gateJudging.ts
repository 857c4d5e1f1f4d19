import type { GateEvaluatedData, NewDecisionEvent, NewInputEvent } from '../events/eventTypes.js';
import type { GateContext } from '../judge/gate.js';
import { gateNameOf } from '../spec/gateName.js';
import { storableEvidence } from './storableEvidence.js';
import { currentStage, specOf, type GateEvaluatorLookup, type RolloutContext, type Step } from './rolloutContext.js';
import { stageElapsedMs } from './stageElapsed.js';

/**
 * Folding judged inputs (sample windows, health checks, metrics, ticks) through the current stage's gates. Pure: the
 * evaluators are pure and their state lives in the machine's context. Gates see only inputs from after the stage's
 * weight was verified as applied; a sample window that started earlier mixes two weights and is skipped.
 */

/** Kinds whose failure blocks the stage from passing but never rolls back or holds (they report, not judge). */
export const BLOCKING_ONLY_GATE_KINDS: readonly string[] = ['sampleRatio'];

/** What a gate knows of its stage when it judges an input at `at` (null at stage entry: nothing judged yet). */
export function gateContextOf(context: RolloutContext, at: number | null = null): GateContext {
  const stage = currentStage(context);
  return {
    stage,
    stageIndex: context.stageIndex,
    stageEnteredAt: context.stageEnteredAt ?? 0,
    weightAppliedPercent: context.stageWeightAppliedAt === null ? null : stage.weightPercent,
    weightAppliedAt: context.stageWeightAppliedAt,
    windowMs: specOf(context).window,
    stageElapsedMs: at === null ? null : stageElapsedMs(context, at),
  };
}

/**
 * Fresh gate state for the stage in `context` (called on stage entry). A gate without an evaluator gets an
 * `inconclusive` verdict saying so, so that "why did this stage never pass?" is answered by an event.
 */
export function initializeGates(context: RolloutContext, lookup: GateEvaluatorLookup, at: number): Step {
  const stage = currentStage(context);
  const gateContext = gateContextOf(context);
  const decisions: NewDecisionEvent[] = [];
  const lastVerdicts: Record<string, GateEvaluatedData> = {};
  const gateStates = stage.gates.map((gate) => {
    const evaluator = lookup(gate.kind);
    if (evaluator) return evaluator.init(gate, gateContext);
    const data: GateEvaluatedData = {
      stage: stage.name,
      gate: gateNameOf(gate),
      kind: gate.kind,
      verdict: 'inconclusive',
      evidence: { summary: `no evaluator for gate kind "${gate.kind}" in this build; the gate cannot pass` },
    };
    lastVerdicts[data.gate] = data;
    decisions.push({ type: 'gate.evaluated', at, data });
    return null;
  });
  return { context: { ...context, gateStates, lastVerdicts }, decisions };
}

/** Whether an input may be judged in the current stage: the weight is applied and the input is not older than that. */
export function isJudgedInput(context: RolloutContext, input: NewInputEvent): boolean {
  const appliedAt = context.stageWeightAppliedAt;
  if (appliedAt === null || input.at < appliedAt) return false;
  if (input.type === 'samples.window') return input.data.windowStartAt >= appliedAt;
  return input.type === 'health.checked' || input.type === 'metric.observed' || input.type === 'tick';
}

/**
 * Observes one input with every gate of the stage. Returns the input's decisions (one `gate.evaluated` per gate that
 * had something to say) and the next context, or the same context object when nothing changed.
 */
export function observeGates(context: RolloutContext, input: NewInputEvent, lookup: GateEvaluatorLookup): Step {
  if (!isJudgedInput(context, input)) return { context, decisions: [] };
  const stage = currentStage(context);
  const gateContext = gateContextOf(context, input.at);
  const decisions: NewDecisionEvent[] = [];
  let gateStates = context.gateStates;
  let lastVerdicts = context.lastVerdicts;
  for (let index = 0; index < stage.gates.length; index++) {
    const gate = stage.gates[index]!;
    const evaluator = lookup(gate.kind);
    if (!evaluator) continue;
    const observed = evaluator.observe(gate, gateStates[index], input, gateContext);
    if (observed === null) continue;
    const data: GateEvaluatedData = {
      stage: stage.name,
      gate: gateNameOf(gate),
      kind: gate.kind,
      verdict: observed.result.verdict,
      evidence: storableEvidence(observed.result.evidence),
    };
    // The previous context must stay as it was (states are persistent values): copy its two collections once per
    // input, when the first gate reports, and fill the copies; a copy per gate was most of this function's garbage.
    if (gateStates === context.gateStates) {
      gateStates = context.gateStates.slice();
      lastVerdicts = { ...context.lastVerdicts };
    }
    gateStates[index] = observed.state;
    // "__proto__" is a valid gate name: assigning it would set the prototype, where a computed key defines the entry.
    if (data.gate === '__proto__') lastVerdicts = { ...lastVerdicts, [data.gate]: data };
    else lastVerdicts[data.gate] = data;
    decisions.push({ type: 'gate.evaluated', at: input.at, data });
  }
  const canarySamples = input.type === 'samples.window' ? input.data.canary.count : 0;
  if (decisions.length === 0 && canarySamples === 0) return { context, decisions };
  return {
    context: { ...context, gateStates, lastVerdicts, canarySamplesInStage: context.canarySamplesInStage + canarySamples },
    decisions,
  };
}

/** The first gate of the stage whose latest verdict is `fail` and whose kind may act on a failure. */
export function firstFailedGate(context: RolloutContext): GateEvaluatedData | undefined {
  if (!context.spec) return undefined;
  for (const gate of currentStage(context).gates) {
    const verdict = context.lastVerdicts[gateNameOf(gate)];
    if (verdict?.verdict === 'fail' && !BLOCKING_ONLY_GATE_KINDS.includes(gate.kind)) return verdict;
  }
  return undefined;
}

/** Every gate's latest verdict is `pass` (no verdict yet is not a pass). True for a stage without gates. */
export function areAllGatesPassing(context: RolloutContext): boolean {
  return currentStage(context).gates.every((gate) => context.lastVerdicts[gateNameOf(gate)]?.verdict === 'pass');
}

/** "errorRate pass, compareErrorRate inconclusive" — for evidence summaries. */
export function describeVerdicts(context: RolloutContext): string {
  const gates = currentStage(context).gates;
  if (gates.length === 0) return 'no gates';
  return gates.map((gate) => `${gateNameOf(gate)} ${context.lastVerdicts[gateNameOf(gate)]?.verdict ?? 'no verdict'}`).join(', ');
}

/**
 * The decision types that act on the gates' verdicts — the moments a stage passes, fails, holds, is extended or is
 * left. An input that makes one of them (or moves the rollout to another phase or stage, which covers the decisions a
 * phase change makes without a decision of its own, such as a completion at 100% already in force) "decides": the
 * verdict log then appends every gate's latest verdict that it has not appended yet (verdictLog.ts). A new decision
 * kind that acts on verdicts belongs in this list.
 */
export const VERDICT_DECIDING_DECISIONS: ReadonlySet<string> = new Set([
  'stage.entered',
  'stage.awaitingApproval',
  'stage.held',
  'stage.extended',
  'rollback.started',
  'completed',
  'aborted',
]);

/** What isDecidingStep compares before and after an input. */
export interface StepPoint {
  phase: string;
  context: RolloutContext;
}

/** Whether an input decided something from its stage's verdicts (see VERDICT_DECIDING_DECISIONS). */
export function isDecidingStep(before: StepPoint, after: StepPoint, decisions: readonly NewDecisionEvent[]): boolean {
  if (before.phase !== after.phase) return true;
  if (before.context.stageIndex !== after.context.stageIndex || before.context.stageEnteredAt !== after.context.stageEnteredAt) return true;
  if (before.context.extensions !== after.context.extensions) return true;
  for (const decision of decisions) if (VERDICT_DECIDING_DECISIONS.has(decision.type)) return true;
  return false;
}
