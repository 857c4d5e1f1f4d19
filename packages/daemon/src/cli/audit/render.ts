import { formatDurationMs, type Evidence } from '@sluice/core/replay';
import { pad } from '../format.js';
import { rolloutBlock } from '../renderRollout.js';
import type { AuditMoment } from './moment.js';
import { formatMs } from './entryText.js';
import type { AuditEnding, AuditTimeline, EntryKind, TimelineEntry } from './timelineTypes.js';

/** Text output of `sluice audit`: the list of rollouts, one rollout's timeline, or one moment. Times in UTC ISO. */

const LABEL: Record<EntryKind, string> = {
  created: 'created',
  stageEntered: 'stage',
  weightDesired: 'weight',
  weightVerified: 'verified',
  weightApplyFailed: 'apply failed',
  command: 'command',
  commandRejected: 'rejected',
  paused: 'paused',
  resumed: 'resumed',
  held: 'HELD',
  extended: 'extended',
  awaitingApproval: 'approval',
  gateVerdict: 'gate',
  rollbackStarted: 'ROLLBACK',
  rollbackCompleted: 'rolled back',
  completed: 'completed',
  aborted: 'ABORTED',
};

export function renderList(timelines: readonly AuditTimeline[], file: string): string {
  if (timelines.length === 0) return `${file}: no rollouts in this log\n`;
  const width = Math.max(7, ...timelines.map((t) => t.rolloutId.length));
  const lines = [`${pad('ROLLOUT', width)}  ${pad('OUTCOME', 11)} ${pad('CREATED', 24)} ${pad('ENDED', 24)} REASON`];
  for (const t of timelines) {
    lines.push(`${pad(t.rolloutId, width)}  ${pad(t.outcome, 11)} ${pad(t.createdAt, 24)} ${pad(t.endedAt ?? '-', 24)} ${t.reason}`);
  }
  lines.push(`(sluice audit --db ${file} ID for one rollout's timeline)`);
  return `${lines.join('\n')}\n`;
}

export function renderTimeline(t: AuditTimeline): string {
  const lines = [
    `rollout   ${t.rolloutId} — ${t.service}: ${t.baseline} → ${t.candidate}`,
    `outcome   ${t.outcome}${t.endedAt ? ` at ${t.endedAt}` : ` (phase ${t.phase})`}: ${t.reason}`,
    `log       ${t.events} event(s), ${t.createdAt} → ${t.lastEventAt}`,
  ];
  t.plan.forEach((s, i) => {
    const approval = s.approval ? `, approval ${s.approval}` : '';
    const gates = s.gates.length > 0 ? `gates ${s.gates.join(', ')}` : 'no gates';
    lines.push(`${i === 0 ? 'plan      ' : '          '}${s.index + 1}. ${s.name} ${s.weightPercent}% — min ${formatDurationMs(s.durationMinMs)}, max ${formatDurationMs(s.durationMaxMs)}, on fail ${s.onFail}${approval}; ${gates}`);
  });
  lines.push(`rollback  ${t.rollbackMode}`, '', 'timeline (UTC)');
  for (const entry of t.entries) lines.push(entryLine(entry));
  if (t.entriesOmitted > 0) lines.push(`  … ${t.entriesOmitted} more entries left out (use --at TIME to look at a later moment)`);
  lines.push('', t.verdictsRecomputed ? 'gates (every verdict, recomputed from the inputs: the log holds the new ones; condensed)' : 'gates (every verdict, condensed)');
  if (t.gates.length === 0) lines.push('  no gate was evaluated');
  for (const g of t.gates) {
    const counts = `${g.evaluations} evaluation(s): ${g.verdicts.pass} pass, ${g.verdicts.fail} fail, ${g.verdicts.inconclusive} inconclusive`;
    lines.push(`  ${g.stage} / ${g.gate}: ${counts}; first pass ${g.firstPassAt ?? '-'}, first fail ${g.firstFailAt ?? '-'}; last ${g.lastVerdict} at ${g.lastAt}`);
  }
  if (t.ending) lines.push('', ...endingLines(t.ending));
  return `${lines.join('\n')}\n`;
}

export function renderMoment(t: AuditTimeline, m: AuditMoment): string {
  const lines = [`rollout ${t.rolloutId} at ${m.at} (state folded from the log's events up to that moment)`, ''];
  lines.push(rolloutBlock(m.rollout, Date.parse(m.at)).trimEnd(), '');
  if (m.nearest === null) return `${lines.join('\n')}\nno decision recorded\n`;
  const offset = m.nearest.offsetMs;
  const when = offset === 0 ? 'at that moment' : `${formatMs(Math.abs(offset))} ${offset < 0 ? 'before' : 'after'}`;
  lines.push(`nearest decision (${when}):`, entryLine(m.nearest));
  if (m.nearest.evidence) lines.push(...evidenceLines(m.nearest.evidence, '    '));
  if (m.before.length > 0) lines.push('before:', ...m.before.map(entryLine));
  if (m.after.length > 0) lines.push('after:', ...m.after.map(entryLine));
  return `${lines.join('\n')}\n`;
}

function entryLine(entry: TimelineEntry): string {
  const count = entry.count && entry.count > 1 ? ` (×${entry.count})` : '';
  return `  ${entry.at}  ${pad(LABEL[entry.kind], 12)} ${entry.text}${count}`;
}

function endingLines(e: AuditEnding): string[] {
  const title: Record<AuditEnding['outcome'], string> = {
    rolledBack: 'rolled back',
    rollingBack: 'rolling back (0% not verified yet)',
    completed: 'completed',
    aborted: 'aborted',
    held: 'held for an operator',
  };
  const by = e.actor && !e.reason?.includes(e.actor) ? `by ${e.actor}` : '';
  const cause = [e.reason ? `${e.outcome === 'aborted' ? '' : 'reason '}${e.reason}` : '', e.gate ? `gate ${e.gate}` : '', by].filter(Boolean).join(', ');
  const lines = [`ending: ${title[e.outcome]}`, `  decided   ${e.at} in stage ${e.stage}${cause ? ` (${cause})` : ''}`];
  if (e.summary) lines.push(`  evidence  ${e.summary}`);
  if (e.evidence) lines.push(...evidenceLines(e.evidence, '  numbers   ', '            '));
  if (e.firstFailAt) lines.push(`  first failing verdict of ${e.gate}: ${e.firstFailAt}`);
  if (e.outcome === 'held') return lines;
  if (e.finalWeightVerifiedAt === null) {
    lines.push(`  ${e.finalWeightPercent}% not verified by the adapter in this log`);
    return lines;
  }
  if (Date.parse(e.finalWeightVerifiedAt) < Date.parse(e.at)) {
    lines.push(`  ${e.finalWeightPercent}% in force since ${e.finalWeightVerifiedAt}, before the decision`);
    return lines;
  }
  const since = [
    e.firstFailToVerifiedMs === null ? '' : `${formatMs(e.firstFailToVerifiedMs)} after the first failing verdict`,
    e.decisionToVerifiedMs === null ? '' : `${formatMs(e.decisionToVerifiedMs)} after the decision`,
  ].filter(Boolean);
  lines.push(`  ${e.finalWeightPercent}% verified at ${e.finalWeightVerifiedAt}${since.length > 0 ? ` — ${since.join(', ')}` : ''}`);
  return lines;
}

/** The evidence's numbers (statistic, bound, α, counts, …) as `key=value`, wrapped; the summary is printed apart. */
function evidenceLines(evidence: Evidence, first: string, rest = first): string[] {
  const parts: string[] = [];
  const keys = Object.keys(evidence).filter((k) => k !== 'summary').sort((a, b) => (a === 'statistic' ? -1 : b === 'statistic' ? 1 : 0));
  for (const key of keys) {
    const value = evidence[key];
    if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) parts.push(`${key}=${String(value)}`);
    else parts.push(`${key}=${JSON.stringify(value)}`);
  }
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line.length > 0 && line.length + part.length + 1 > 100) {
      lines.push(line);
      line = '';
    }
    line = line.length === 0 ? part : `${line} ${part}`;
  }
  if (line.length > 0) lines.push(line);
  return lines.map((l, i) => `${i === 0 ? first : rest}${l}`);
}
