import { SpecValidationError, type ValidationIssue } from '@sluice/core';

/** The weights a rollout will ask for: its stages, and the steps of a gradual rollback. */
export interface WeightPlan {
  stages: readonly { name: string; weightPercent: number }[];
  rollback?: { mode: string; stepsPercent?: readonly number[] };
}

/**
 * Istio VirtualService weights are integers: a stage (or rollback step) at 2.5% cannot be written, and rounding it
 * silently would judge one weight while serving another. So such a rollout is refused when it is created, naming each
 * stage and the nearest whole percents. HTTPRoute and Ingress take 0.01% steps (basis points); nothing to check.
 */
export function wholePercentIssues(kind: unknown, plan: WeightPlan): ValidationIssue[] {
  if (kind !== 'VirtualService') return [];
  const issues: ValidationIssue[] = [];
  plan.stages.forEach((stage, index) => {
    if (!Number.isInteger(stage.weightPercent)) {
      issues.push({
        path: `stages[${index}].weightPercent`,
        message: `stage "${stage.name}" asks for ${stage.weightPercent}%, but an Istio VirtualService takes whole percents only; use ${nearest(stage.weightPercent)}`,
        value: stage.weightPercent,
      });
    }
  });
  if (plan.rollback?.mode === 'gradual') {
    (plan.rollback.stepsPercent ?? []).forEach((step, index) => {
      if (!Number.isInteger(step)) {
        issues.push({ path: `rollback.stepsPercent[${index}]`, message: `rollback step ${step}% is not a whole percent, which an Istio VirtualService needs; use ${nearest(step)}`, value: step });
      }
    });
  }
  return issues;
}

export function checkWholePercents(kind: unknown, plan: WeightPlan, rolloutId: string): void {
  const issues = wholePercentIssues(kind, plan);
  if (issues.length > 0) throw new SpecValidationError(issues, `rollout "${rolloutId}": kubernetes adapter (kind VirtualService)`, 'SLUICE_E_ADAPTER_OPTIONS');
}

function nearest(weightPercent: number): string {
  const low = Math.floor(weightPercent);
  const high = Math.ceil(weightPercent);
  return low === high ? String(low) : `${low} or ${high}`;
}
