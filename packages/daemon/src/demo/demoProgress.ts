import { weightBar } from '../cli/format.js';

interface DemoState {
  phase?: string;
  stageName?: string | null;
  stageIndex?: number;
  appliedWeightPercent?: number | null;
  lastVerdicts?: Record<string, { verdict: string; evidence?: { summary?: string } }>;
  rollback?: { reason: string; gate?: string; evidence?: { summary?: string } } | null;
}

/**
 * One progress line of the demo: elapsed time, phase, stage, verified weight bar and each gate's verdict. `key`
 * changes only when something a person would notice changes, so the demo prints a line per change, not per poll.
 */
export function demoProgressLine(label: string, rollout: Record<string, unknown>, startedAt: number): { key: string; text: string } {
  const state = (rollout.state ?? {}) as DemoState;
  const stages = (rollout.stages ?? []) as unknown[];
  const verdicts = Object.entries(state.lastVerdicts ?? {}).map(([gate, v]) => `${gate}:${v.verdict}`);
  const stage = `${state.stageName ?? '-'} (${(state.stageIndex ?? 0) + 1}/${stages.length})`;
  const key = [state.phase, stage, state.appliedWeightPercent, verdicts.join(',')].join('|');
  const elapsed = `+${((Date.now() - startedAt) / 1000).toFixed(1)}s`.padStart(7);
  let text = `  ${label.padEnd(8)} ${elapsed}  ${String(state.phase).padEnd(12)} ${stage.padEnd(16)} ${weightBar(state.appliedWeightPercent)}  ${verdicts.join(' ')}`;
  if (state.rollback && (state.phase === 'rollingBack' || state.phase === 'rolledBack')) {
    text += `\n  ${''.padEnd(8)} rollback: ${state.rollback.evidence?.summary ?? state.rollback.reason}`;
  }
  return { key, text };
}
