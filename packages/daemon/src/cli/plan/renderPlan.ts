import { formatMultiplier, type RegressionPlan, type RolloutPlan, type RolloutSpec, type StagePlan } from '@sluice/core';

/** The text `sluice plan` prints: the traffic assumed, one block per stage, the warnings, and how each figure was made. */
export function renderPlan(spec: RolloutSpec, plan: RolloutPlan): string {
  const lines: string[] = [];
  const t = plan.traffic;
  lines.push(`plan for ${spec.id} (${spec.service}: ${spec.baseline} → ${spec.candidate}) at ${number(t.requestsPerSecond)} requests/s, ${percent(t.errorRate)} errors — from ${t.source}`);
  for (const stage of plan.stages) lines.push('', ...renderStage(stage));
  lines.push('');
  if (plan.warnings.length === 0) lines.push('no warnings: every stage can detect a 10× error-rate and a 2× latency regression within its minimum duration');
  else lines.push(`warnings (${plan.warnings.length}):`, ...plan.warnings.map((w) => `  - ${w}`));
  lines.push('', `how: ${plan.method}`);
  return `${lines.join('\n')}\n`;
}

function renderStage(stage: StagePlan): string[] {
  const lines = [
    `stage ${stage.stage}: ${stage.weightPercent}% for ${approx(stage.durationMinMs)} (at most ${approx(stage.durationMaxMs)}), samplesMin ${stage.samplesMin}`,
    `  expected canary requests ${count(stage.canaryRequestsExpected)}, canary errors ${count(stage.canaryErrorsExpected)}`,
  ];
  if (stage.gates.length === 0) lines.push('  no comparative gate (only breakers judge this stage)');
  for (const gate of stage.gates) {
    const what = gate.kind === 'compareErrorRate' ? 'error rate' : `latency (slow = over ${number(gate.thresholdMs ?? 0)} ms, ${percent(gate.baselineEventShare)} of baseline requests)`;
    const detects = gate.smallestDetectableMultiplier === null ? `no ${what} regression up to 100×` : `${what} regressions of ${formatMultiplier(gate.smallestDetectableMultiplier)} and more`;
    lines.push(`  ${gate.gate}: detects ${detects} within ${approx(stage.durationMinMs)} (90% power; ${count(gate.canaryEventsExpected)} canary events expected)`);
  }
  if (stage.gates.length > 0) {
    lines.push('  regressions present from the start of the stage:');
    for (const regression of stage.regressions) lines.push(`    ${regression.name.padEnd(13)} ${renderRegression(regression)}`);
  }
  if (stage.healthy) {
    const h = stage.healthy;
    const pass = h.passMs ? `median ${approx(h.passMs.median)}, 95th percentile ${approx(h.passMs.p95)}` : 'never';
    lines.push(
      `  a healthy release passes in ${percent(h.passedShare)} of ${h.runs} runs (${pass}); ${percent(h.byProofShare)} of passes shown not worse, the rest on no evidence of harm` +
        (h.maxShare > 0 ? `; reaches durationMax in ${percent(h.maxShare)}` : '') +
        (h.failedShare > 0 ? `; fails in ${percent(h.failedShare)}` : ''),
    );
  }
  return lines;
}

function renderRegression(r: RegressionPlan): string {
  const analytic =
    r.analyticDelayMs === null ? 'not detectable by these gates (within their tolerance, or no such events)' : `analytic median time to catch it with no stage limit: ${approx(r.analyticDelayMs)}`;
  if (r.detectedShare === null) return analytic;
  const simulated =
    r.delayMs === null
      ? `caught in 0% of runs within the stage`
      : `caught in ${percent(r.detectedShare)} of runs within the stage, after ${approx(r.delayMs.median)} (10–90%: ${approx(r.delayMs.p10)}–${approx(r.delayMs.p90)})`;
  return `${simulated}; ${analytic}`;
}

function percent(share: number): string {
  const value = share * 100;
  return `${value === 0 ? 0 : value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : Number(value.toPrecision(2))}%`;
}

function number(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(3)));
}

function count(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(2)));
}

/** A duration as the plan prints it, rounded: "40s", "12m", "2h05m", "1d07h". */
export function approx(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  const hours = Math.round(ms / 3_600_000);
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}
