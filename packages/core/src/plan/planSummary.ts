import type { RolloutPlan } from './planRollout.js';

/**
 * What the daemon keeps of a plan — in the creation answer and as the `rollout.planned` input of the log: the traffic
 * assumed, each stage's expected canary requests and smallest detectable regression per comparative gate, and the
 * warnings. Plain JSON, a few hundred bytes.
 */
export interface PlanSummary {
  traffic: { requestsPerSecond: number; errorRate: number; source: string };
  stages: Array<{ stage: string; canaryRequestsExpected: number; smallestDetectable: Record<string, number | null> }>;
  warnings: string[];
  method: string;
}

export function planSummary(plan: RolloutPlan): PlanSummary {
  return {
    traffic: plan.traffic,
    stages: plan.stages.map((stage) => ({
      stage: stage.stage,
      canaryRequestsExpected: round(stage.canaryRequestsExpected),
      smallestDetectable: Object.fromEntries(stage.gates.map((gate) => [gate.gate, gate.smallestDetectableMultiplier === null ? null : round(gate.smallestDetectableMultiplier)])),
    })),
    warnings: plan.warnings,
    method: plan.method,
  };
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}
