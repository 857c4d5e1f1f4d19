import { RolloutNotFoundError } from '../errors.js';
import { isInputType, type NewDecisionEvent, type NewInputEvent } from '../events/eventTypes.js';
import type { EventLog } from '../log/EventLog.js';
import type { RolloutDecider, RolloutState } from '../machine/decider.js';
import { rolloutDecider } from '../machine/rollout.js';
import { rolloutView, type RolloutView } from '../machine/rolloutView.js';
import { toInput } from '../rollout/RolloutSession.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { compareOutcomes, isOutcomeDecision, summarizeOutcome, type OutcomeComparison, type OutcomeSummary } from './outcome.js';

/**
 * Replay feeds a rollout's recorded inputs to the machine again. Without a spec it checks that every recorded
 * decision comes out the same, at the same place (reproduce mode): the machine recomputes every gate verdict, and the
 * log's verdict rule (machine/verdictLog.ts) selects those the log must hold, which are compared with what it holds —
 * so a verdict that changed but is missing, or one that is logged but said nothing new, is a divergence too. With a spec it substitutes the spec of
 * `rollout.created` and answers "what would this policy have done?" (what-if mode).
 *
 * What-if and adapter feedback: the recorded `weight.applied`/`weight.applyFailed` inputs answer the recorded run's
 * weight changes, not the what-if's. In what-if mode they are dropped, and each weight.desired the what-if decides is
 * treated as verified at once: a synthetic `weight.applied` of its generation and weight, at the same `at`, is fed
 * right after the input that caused it. Every other input (windows, health checks, metrics, commands, stored ticks)
 * is fed as recorded — traffic counts are not rescaled to the what-if's weights.
 */
export type ReplayLog = Pick<EventLog, 'readRecorded'>;

export interface ReplayOptions {
  /** A what-if spec replacing the recorded one; its `id` is replaced by the replayed rollout's id. */
  spec?: RolloutSpec;
  decider?: RolloutDecider;
  /** Divergences kept in the result (all are counted); default DIVERGENCES_KEPT_MAX. */
  divergencesMax?: number;
  /**
   * Keep every recomputed decision in `result.decisions` (default true). With false, only the decisions an outcome is
   * made of are kept (stage entries, rollback, completion, abort, hold) and `recomputedDecisions` still counts them
   * all: `sluice replay` needs no more, and a long rollout's evidence then stays out of memory.
   */
  keepDecisions?: boolean;
  /**
   * Recompute every gate verdict, not only those the log's verdict rule appends (default false). `result.decisions`
   * and `recomputedDecisions` then hold every decision the machine made, every verdict of every input included, as a
   * log under the rule `every` would hold them (RolloutDecision.computed): what a report draws or an audit counts.
   * Replay still compares only what the rule appends with what the log holds.
   */
  everyVerdict?: boolean;
}

export const DIVERGENCES_KEPT_MAX = 1_000;
/** Synthetic applies per input in what-if mode; a machine that keeps desiring new weights on apply is a bug. */
const SYNTHETIC_APPLIES_PER_INPUT_MAX = 100;

export interface Divergence {
  /** Position of the recorded decision, or for a missing one the position it would have taken. */
  position: number;
  /** Position of the input that caused the decision. */
  inputPosition: number;
  /** null: the machine decides something that was not recorded. */
  recorded: NewDecisionEvent | null;
  /** null: a recorded decision that the machine no longer makes. */
  recomputed: NewDecisionEvent | null;
}

export interface ReplayResult {
  rolloutId: string;
  mode: 'reproduce' | 'whatIf';
  /** Inputs fed (in what-if mode: recorded inputs, excluding the dropped adapter reports, plus synthetic applies). */
  inputs: number;
  recordedDecisions: number;
  /**
   * Every recomputed decision the log's verdict rule appends, in order (with `everyVerdict`, every decision made); with
   * `keepDecisions: false` only those an outcome is made of.
   */
  decisions: NewDecisionEvent[];
  /** How many decisions replay made, counted as `decisions` are (its length unless `keepDecisions` is false). */
  recomputedDecisions: number;
  /** Reproduce mode: where the recomputed decisions differ from the recorded ones. Empty in what-if mode. */
  divergences: Divergence[];
  divergenceCount: number;
  /** Reproduce mode: no divergence. What-if mode: always false (nothing is expected to match). */
  reproduced: boolean;
  recordedOutcome: OutcomeSummary;
  recomputedOutcome: OutcomeSummary;
  /** How the recomputed outcome differs from the recorded one (both modes; most useful for what-ifs). */
  comparison: OutcomeComparison;
  /** The replayed rollout's final state. */
  view: RolloutView;
}

export function replay(log: ReplayLog, rolloutId: string, options: ReplayOptions = {}): ReplayResult {
  const decider = options.decider ?? rolloutDecider;
  const whatIf = options.spec === undefined ? null : { ...options.spec, id: rolloutId };
  const keptMax = options.divergencesMax ?? DIVERGENCES_KEPT_MAX;
  let state: RolloutState = decider.initialState();
  const keepAll = options.keepDecisions ?? true;
  const everyVerdict = options.everyVerdict ?? false;
  const decisions: NewDecisionEvent[] = [];
  let recomputedDecisions = 0;
  // Only the recorded decisions an outcome is made of are kept (not every gate verdict's evidence), and a count.
  const recordedForOutcome: NewDecisionEvent[] = [];
  let recordedDecisions = 0;
  const divergences: Divergence[] = [];
  let divergenceCount = 0;
  let inputs = 0;
  let events = 0;
  let lastAt: number | null = null;
  // Reproduce mode: the decisions of the latest input not yet matched with recorded ones, and where they start.
  let expected: NewDecisionEvent[] = [];
  let inputPosition = -1;
  let nextPosition = 0;

  const diverge = (divergence: Divergence) => {
    divergenceCount++;
    if (divergences.length < keptMax) divergences.push(divergence);
  };
  const flushExpected = () => {
    for (const decision of expected) diverge({ position: nextPosition, inputPosition, recorded: null, recomputed: decision });
    expected = [];
  };
  const feed = (input: NewInputEvent): NewDecisionEvent[] => {
    inputs++;
    const result = decider.decide(state, input);
    state = result.state;
    const made = everyVerdict ? result.computed : result.decisions;
    recomputedDecisions += made.length;
    for (const decision of made) if (keepAll || isOutcomeDecision(decision)) decisions.push(decision);
    return result.decisions;
  };

  for (const event of log.readRecorded(rolloutId)) {
    events++;
    lastAt = event.at;
    if (isInputType(event.type)) {
      const input = toInput(event);
      if (whatIf) {
        if (input.type === 'weight.applied' || input.type === 'weight.applyFailed') continue;
        feedWithImmediateApplies(feed, input.type === 'rollout.created' ? { ...input, data: { ...input.data, spec: whatIf } } : input);
        continue;
      }
      flushExpected();
      inputPosition = event.position;
      expected = feed(input);
    } else {
      const decision = { type: event.type, at: event.at, data: event.data } as NewDecisionEvent;
      recordedDecisions++;
      if (isOutcomeDecision(decision)) recordedForOutcome.push(decision);
      if (whatIf) continue;
      const recomputed = expected.shift() ?? null;
      if (recomputed === null || !sameDecision(recomputed, decision)) diverge({ position: event.position, inputPosition, recorded: decision, recomputed });
    }
    nextPosition = event.position + 1;
  }
  if (events === 0) throw new RolloutNotFoundError(rolloutId);
  if (!whatIf) flushExpected();

  const recordedOutcome = summarizeOutcome(recordedForOutcome);
  const recomputedOutcome = summarizeOutcome(decisions);
  return {
    rolloutId,
    mode: whatIf ? 'whatIf' : 'reproduce',
    inputs,
    recordedDecisions,
    decisions,
    recomputedDecisions,
    divergences,
    divergenceCount,
    reproduced: !whatIf && divergenceCount === 0,
    recordedOutcome,
    recomputedOutcome,
    comparison: compareOutcomes(recordedOutcome, recomputedOutcome, lastAt),
    view: rolloutView(state),
  };
}

/** Feeds `input`, then a synthetic `weight.applied` for every weight.desired decided, until none is left. */
function feedWithImmediateApplies(feed: (input: NewInputEvent) => NewDecisionEvent[], input: NewInputEvent): void {
  let pending = feed(input).filter((d) => d.type === 'weight.desired');
  for (let applies = 0; pending.length > 0; applies++) {
    if (applies >= SYNTHETIC_APPLIES_PER_INPUT_MAX) {
      throw new Error(`assertion: more than ${SYNTHETIC_APPLIES_PER_INPUT_MAX} weight changes for one input in a what-if replay`);
    }
    const desired = pending.shift()!;
    if (desired.type !== 'weight.desired') continue;
    const applied: NewInputEvent = { type: 'weight.applied', at: desired.at, data: { generation: desired.data.generation, weightPercent: desired.data.weightPercent } };
    pending = [...pending, ...feed(applied).filter((d) => d.type === 'weight.desired')];
  }
}

/**
 * Decisions are equal when their type, time and data are equal as the log stores them: JSON values, where a property
 * whose value is `undefined` is the same as an absent one (canonical JSON drops it).
 */
export function sameDecision(a: NewDecisionEvent, b: NewDecisionEvent): boolean {
  return a.type === b.type && a.at === b.at && jsonEqual(a.data, b.data, 0);
}

/** Nesting deeper than this compares unequal; the log refuses such data anyway (CANONICAL_JSON_DEPTH_MAX). */
const JSON_DEPTH_MAX = 64;

/**
 * Replay compares every recorded decision (~3,600 a second per rollout of evidence objects), so this walks the keys
 * with `for…in` instead of allocating `Object.keys` arrays: every defined value of `a` must equal `b`'s under the
 * same key, and `b` must have as many defined values — which, with the first check, means the same keys.
 */
function jsonEqual(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth >= JSON_DEPTH_MAX) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let definedLeft = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key)) continue;
    const value = left[key];
    if (value === undefined) continue;
    definedLeft++;
    if (!Object.hasOwn(right, key) || !jsonEqual(value, right[key], depth + 1)) return false;
  }
  let definedRight = 0;
  for (const key in right) if (Object.hasOwn(right, key) && right[key] !== undefined) definedRight++;
  return definedLeft === definedRight;
}
