import type { NewDecisionEvent } from '@sluice/core';
import type { Recomputed } from './recompute.js';
import type { WhatIf } from './reportTypes.js';

/** Outcome steps listed per side; the rest are counted in the text. */
export const OUTCOME_STEPS_MAX = 200;

/**
 * One line for a decision that shapes the outcome (stage entered, hold, rollback, end), or null for the others (gate
 * verdicts, weights). The two runs are compared on these lines: the first that differs is where they part.
 */
export function describeOutcomeStep(decision: NewDecisionEvent): string | null {
  switch (decision.type) {
    case 'stage.entered':
      return `entered ${decision.data.stage} at ${decision.data.weightPercent}%`;
    case 'stage.held':
      return `held in ${decision.data.stage}${decision.data.gate ? ` on gate ${decision.data.gate}` : ''}: ${decision.data.evidence.summary}`;
    case 'rollback.started':
      return `rollback from ${decision.data.stage} (${decision.data.gate ? `gate ${decision.data.gate}` : decision.data.reason}): ${decision.data.evidence.summary}`;
    case 'rollback.completed':
      return 'rolled back: 0% verified';
    case 'completed':
      return 'completed: 100% verified';
    case 'aborted':
      return `aborted: ${decision.data.reason}`;
    default:
      return null;
  }
}

/**
 * The re-judged outcome beside the recorded one. The runs part at the first outcome step whose line or time differs
 * (stage entries included, so "promoted 20 minutes later" shows where it started), or where one run has a step the
 * other lacks.
 */
export function whatIfOf(specFile: string, recordedDecisions: readonly NewDecisionEvent[], other: Recomputed): WhatIf {
  const recordedSteps = stepsOf(recordedDecisions);
  const whatIfSteps = stepsOf(other.decisions);
  let partAt: number | null = null;
  let partText = 'the re-judged run takes the same steps at the same times as the recorded one';
  const length = Math.max(recordedSteps.length, whatIfSteps.length);
  for (let i = 0; i < length; i++) {
    const a = recordedSteps[i];
    const b = whatIfSteps[i];
    if (a && b && a.text === b.text && a.at === b.at) continue;
    partAt = Math.min(a?.at ?? Infinity, b?.at ?? Infinity);
    const recordedText = a ? `recorded: ${a.text} at ${new Date(a.at).toISOString()}` : 'recorded: nothing more';
    const whatIfText = b ? `re-judged: ${b.text} at ${new Date(b.at).toISOString()}` : 're-judged: nothing more';
    partText = `they part at step ${i + 1}: ${recordedText}; ${whatIfText}`;
    break;
  }
  return {
    specFile,
    comparison: other.comparison,
    partAt,
    partText,
    recordedSteps: recordedSteps.slice(0, OUTCOME_STEPS_MAX),
    whatIfSteps: whatIfSteps.slice(0, OUTCOME_STEPS_MAX),
  };
}

function stepsOf(decisions: readonly NewDecisionEvent[]): Array<{ at: number; text: string }> {
  const steps: Array<{ at: number; text: string }> = [];
  for (const decision of decisions) {
    const text = describeOutcomeStep(decision);
    if (text !== null) steps.push({ at: decision.at, text });
  }
  return steps;
}
