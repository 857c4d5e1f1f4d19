import type { GateEvaluatedData, NewDecisionEvent } from '../events/eventTypes.js';
import { gateNameOf } from '../spec/gateName.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { VERDICT_DECIDING_DECISIONS } from './gateJudging.js';
import type { RolloutContext } from './rolloutContext.js';

/**
 * Which of the verdicts the gates compute a rollout's log holds (docs/log.md, "Gate verdicts").
 *
 * The machine judges every input with every gate of the stage and computes a `gate.evaluated` for each gate that had
 * something to say. Under the rule `new` (every log written since `rollout.created` version 2) the log appends one
 * only when it says something new:
 * - the gate's first verdict in the stage, and every verdict that differs from the gate's previous one
 *   (pass / fail / inconclusive);
 * - every verdict computed for an input that decides (gateJudging.ts, isDecidingStep: a stage passes, fails, holds,
 *   is extended or is left, the rollout changes phase);
 * - and, at such an input, just before its deciding decision, every gate's latest verdict that is not in the log yet,
 *   with its evidence: the log holds each gate's final verdict of a stage, and the verdicts a decision was made from.
 * Under the rule `every` (logs written before, `rollout.created` version 1) the log holds every verdict computed.
 *
 * The rule is part of the decider's fold: live, the session appends what it selects; replay recomputes every verdict,
 * selects the same way and compares what the log holds. What it leaves out is recomputed by whoever needs it (replay's
 * `everyVerdict`, `RolloutDecision.computed`: audit, report, `--at`). This is pure and allocation-free on the inputs
 * that append nothing, which are nearly all of them.
 */
export type VerdictRule = 'every' | 'new';

export interface VerdictLog {
  readonly rule: VerdictRule;
  /** The last verdict appended for each gate of the current stage (by gate name); the objects the machine made. */
  readonly appended: ReadonlyMap<string, GateEvaluatedData>;
}

const EMPTY_APPENDED: ReadonlyMap<string, GateEvaluatedData> = new Map();

export function initialVerdictLog(rule: VerdictRule): VerdictLog {
  return { rule, appended: EMPTY_APPENDED };
}

/** The rule named by `rollout.created` data: `every` as upgraded from version 1, else (absent included) `new`. */
export function verdictRuleOf(created: { verdicts?: unknown }): VerdictRule {
  return created.verdicts === 'every' ? 'every' : 'new';
}

/**
 * The decisions of one input that the log appends under `log.rule`, from those the machine computed (`computed`, in
 * order), and the verdict log after them. `before` is the context before the input; `deciding` whether the input
 * decided (isDecidingStep); `spec` the rollout's spec after the input.
 */
export function selectAppended(
  log: VerdictLog,
  before: RolloutContext,
  spec: RolloutSpec | null,
  computed: readonly NewDecisionEvent[],
  deciding: boolean,
  at: number,
): { decisions: NewDecisionEvent[]; log: VerdictLog } {
  if (log.rule === 'every' || (!deciding && !hasVerdict(computed))) return { decisions: computed as NewDecisionEvent[], log };
  const decisions: NewDecisionEvent[] = [];
  if (!deciding) {
    // Nearly every input: keep a verdict only when it differs from the gate's last one in the log. (No closures here:
    // this runs for every judged input.)
    let changed: Map<string, GateEvaluatedData> | null = null;
    for (const decision of computed) {
      if (decision.type === 'gate.evaluated') {
        const previous = (changed ?? log.appended).get(decision.data.gate);
        if (previous !== undefined && previous.verdict === decision.data.verdict) continue;
        changed ??= new Map(log.appended);
        changed.set(decision.data.gate, decision.data);
      }
      decisions.push(decision);
    }
    return { decisions, log: changed === null ? log : { rule: log.rule, appended: changed } };
  }
  let appended = log.appended;
  let copied = false;
  const append = (data: GateEvaluatedData) => {
    if (!copied) {
      appended = new Map(appended);
      copied = true;
    }
    (appended as Map<string, GateEvaluatedData>).set(data.gate, data);
  };
  // The latest verdict of each gate of the stage the input started in: the context's, then this input's.
  let stageVerdicts: Record<string, GateEvaluatedData> | Map<string, GateEvaluatedData> = before.lastVerdicts;
  let stageGates = before.spec ? gateNamesOf(before.spec, before.stageIndex) : [];
  const latestOf = (gate: string): GateEvaluatedData | undefined =>
    stageVerdicts instanceof Map ? stageVerdicts.get(gate) : Object.hasOwn(stageVerdicts, gate) ? stageVerdicts[gate] : undefined;
  const insertAt = decidingIndexOf(computed);
  for (let i = 0; i <= computed.length; i++) {
    if (i === insertAt) {
      const decisionAt = computed[i]?.at ?? at;
      for (const gate of stageGates) {
        const latest = latestOf(gate);
        if (latest !== undefined && appended.get(gate) !== latest) {
          decisions.push({ type: 'gate.evaluated', at: decisionAt, data: latest });
          append(latest);
        }
      }
    }
    const decision = computed[i];
    if (decision === undefined) break;
    if (decision.type === 'gate.evaluated') {
      if (!(stageVerdicts instanceof Map)) stageVerdicts = mapOf(stageVerdicts);
      stageVerdicts.set(decision.data.gate, decision.data);
      // At a deciding input every verdict computed is kept: they are what the decision was made from.
      decisions.push(decision);
      append(decision.data);
      continue;
    }
    decisions.push(decision);
    if (decision.type === 'stage.entered') {
      // A new stage: its gates start with no verdict, in the log as in the context.
      appended = EMPTY_APPENDED;
      copied = false;
      stageVerdicts = new Map();
      stageGates = spec ? gateNamesOf(spec, decision.data.index) : [];
    }
  }
  return { decisions, log: appended === log.appended ? log : { rule: log.rule, appended } };
}

function hasVerdict(decisions: readonly NewDecisionEvent[]): boolean {
  for (const decision of decisions) if (decision.type === 'gate.evaluated') return true;
  return false;
}

/**
 * Where the stage's unappended verdicts go: before the first deciding decision, else before the first decision that is
 * not a verdict (the weight a phase change desires), else after everything.
 */
function decidingIndexOf(decisions: readonly NewDecisionEvent[]): number {
  let firstOther = -1;
  for (let i = 0; i < decisions.length; i++) {
    const type = decisions[i]!.type;
    if (VERDICT_DECIDING_DECISIONS.has(type)) return i;
    if (firstOther < 0 && type !== 'gate.evaluated') firstOther = i;
  }
  return firstOther >= 0 ? firstOther : decisions.length;
}

function gateNamesOf(spec: RolloutSpec, stageIndex: number): string[] {
  return spec.stages[stageIndex]?.gates.map(gateNameOf) ?? [];
}

function mapOf(record: Record<string, GateEvaluatedData>): Map<string, GateEvaluatedData> {
  const map = new Map<string, GateEvaluatedData>();
  for (const key of Object.keys(record)) map.set(key, record[key]!);
  return map;
}
