import { pad, shortDuration, weightBar } from './format.js';

type Json = Record<string, unknown>;

/** The state fields `status` and `watch` show, read from the API's rollout JSON (docs/api.md). */
export interface RolloutSummaryView {
  id: string;
  phase: string;
  stage: string;
  stageIndex: number;
  stages: number;
  desiredWeightPercent: number | null;
  appliedWeightPercent: number | null;
  stageEnteredAt: number | null;
  verdicts: { gate: string; verdict: string; summary: string }[];
  terminal: boolean;
}

export function summarise(rollout: Json): RolloutSummaryView {
  const state = (rollout.state ?? {}) as Json;
  const stages = (rollout.stages ?? []) as Json[];
  // An ended rollout listed as a summary has no stage (stageIndex null): shown as "-".
  const stageIndex = typeof state.stageIndex === 'number' ? state.stageIndex : state.stageIndex === null ? -1 : 0;
  const stageName = typeof state.stageName === 'string' ? state.stageName : String(stages[stageIndex]?.name ?? '-');
  const lastVerdicts = (state.lastVerdicts ?? {}) as Record<string, Json>;
  return {
    id: String(rollout.id),
    phase: String(state.phase ?? 'unknown'),
    stage: stageName,
    stageIndex,
    stages: stages.length,
    desiredWeightPercent: numberOrNull(state.desiredWeightPercent),
    appliedWeightPercent: numberOrNull(state.appliedWeightPercent),
    stageEnteredAt: numberOrNull(state.stageEnteredAt),
    verdicts: Object.entries(lastVerdicts).map(([gate, v]) => ({ gate, verdict: String(v.verdict ?? '?'), summary: String((v.evidence as Json | undefined)?.summary ?? '') })),
    terminal: state.terminal === true,
  };
}

/** One line per rollout for `status` without an id. */
export function rolloutLine(rollout: Json): string {
  const s = summarise(rollout);
  const stage = s.stageIndex < 0 ? '-' : `${s.stage} (${s.stageIndex + 1}/${s.stages})`;
  return `${pad(s.id, 24)} ${pad(s.phase, 16)} ${pad(stage, 20)} ${weightBar(s.appliedWeightPercent, 10)}`;
}

/** The block `status ID` and `watch` print. */
export function rolloutBlock(rollout: Json, now: number): string {
  const s = summarise(rollout);
  const lines = [
    `rollout   ${s.id}  (${String(rollout.service)}: ${String(rollout.baseline)} → ${String(rollout.candidate)})`,
    `phase     ${s.phase}`,
    `stage     ${s.stage} (${s.stageIndex + 1}/${s.stages})${s.stageEnteredAt ? `, for ${shortDuration(now - s.stageEnteredAt)}` : ''}`,
    `desired   ${weightBar(s.desiredWeightPercent)}`,
    `verified  ${weightBar(s.appliedWeightPercent)}`,
  ];
  if (s.verdicts.length === 0) lines.push('gates     (no verdict yet)');
  for (const v of s.verdicts) lines.push(`gate      ${pad(v.gate, 18)} ${pad(v.verdict, 13)} ${v.summary}`);
  const state = (rollout.state ?? {}) as Json;
  const rollback = state.rollback as { reason?: string; gate?: string; evidence?: { summary?: string } } | null | undefined;
  if (rollback) lines.push(`rollback  ${rollback.reason ?? '?'}${rollback.gate ? ` (${rollback.gate})` : ''}: ${rollback.evidence?.summary ?? ''}`);
  const held = state.holdReason as { gate?: string; evidence?: { summary?: string } } | null | undefined;
  if (held) lines.push(`held      ${held.gate ?? ''}: ${held.evidence?.summary ?? ''} — resume, promote, rollback or abort`);
  return `${lines.join('\n')}\n`;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
