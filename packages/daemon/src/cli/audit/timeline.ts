import { decide, EventInvalidError, gateNameOf, initialRolloutState, isInputType, type AnyStoredEvent, type Evidence, type GateEvaluatedData, type NewInputEvent, type RolloutSpec, type RolloutState } from '@sluice/core/replay';
import { describeEntry, formatMs, iso } from './entryText.js';
import type { AuditEnding, AuditOutcome, AuditTimeline, EntryKind, GateHistory, TimelineEntry } from './timelineTypes.js';

export type { AuditEnding, AuditOutcome, AuditTimeline, EntryKind, GateHistory, StagePlan, TimelineEntry } from './timelineTypes.js';

/** Entries kept per rollout: the timeline of a rollout that flapped for days stays printable. */
export const TIMELINE_ENTRIES_MAX = 2_000;

export interface TimelineOptions {
  /**
   * Count the gates' verdicts from every verdict the machine recomputes from the log's inputs (default false), for a
   * log under the verdict rule `new`, which holds only the verdicts that say something new (docs/log.md): what the
   * gates said at every input, as `sluice audit ID` shows it. Otherwise, and always for a log that holds every verdict,
   * they are counted from the log. Entries (verdict changes) always come from the log, which holds every change.
   */
  recomputeVerdicts?: boolean;
}

/** Builds the audit of one rollout from its stored events, in position order. Pure; reads the events once. */
export function buildTimeline(events: Iterable<AnyStoredEvent>, options: TimelineOptions = {}): AuditTimeline {
  const fold = new TimelineFold(options.recomputeVerdicts ?? false);
  for (const event of events) fold.add(event);
  return fold.result();
}

interface Pending {
  decidedAt: number;
  firstFailAt: number | null;
  ending: AuditEnding;
}

class TimelineFold {
  private spec: RolloutSpec | null = null;
  private rolloutId = '';
  private count = 0;
  private firstAt = 0;
  private lastAt = 0;
  private phase = 'pending';
  private stage: string | null = null;
  private readonly entries: TimelineEntry[] = [];
  private omitted = 0;
  private readonly gates = new Map<string, GateHistory>();
  private readonly desiredAt = new Map<number, number>();
  private readonly verified = new Set<number>();
  private readonly failedApplies = new Map<number, TimelineEntry>();
  private endedAt: number | null = null;
  private lastCommand: { command: string; actor: string | null } | null = null;
  private pending: Pending | null = null;
  private finalWeight: { generation: number; weightPercent: number } | null = null;
  private lastDesired: { generation: number; weightPercent: number } | null = null;
  private lastVerified: { generation: number; weightPercent: number; at: number } | null = null;
  /** The last verdict the log holds per gate of a stage: a verdict that differs from it is an entry. */
  private readonly recordedVerdicts = new Map<string, string>();
  /** Whether to count verdicts recomputed from the inputs (set on rollout.created, for a log under the rule `new`). */
  private readonly recompute: boolean;
  private recomputing: RolloutState | null = null;

  constructor(recompute: boolean) {
    this.recompute = recompute;
  }

  add(event: AnyStoredEvent): void {
    if (this.count === 0) {
      this.firstAt = event.at;
      this.rolloutId = event.rolloutId;
    }
    this.count += 1;
    this.lastAt = event.at;
    if (event.type === 'rollout.created' && this.recompute && event.data.verdicts !== 'every') this.recomputing = initialRolloutState();
    if (this.recomputing !== null && isInputType(event.type)) {
      const result = decide(this.recomputing, { type: event.type, at: event.at, data: event.data } as NewInputEvent);
      this.recomputing = result.state;
      for (const decision of result.computed) if (decision.type === 'gate.evaluated') this.countVerdict(decision.data, decision.at);
    }
    if (event.type === 'samples.window' || event.type === 'tick' || event.type === 'health.checked' || event.type === 'metric.observed') return;
    const text = describeEntry(event, this.spec);
    switch (event.type) {
      case 'rollout.created':
        this.spec = event.data.spec;
        this.push(event, 'created', text);
        return;
      case 'stage.entered':
        // An operator moved a holding rollout on: the hold is no longer how it ends.
        if (this.pending?.ending.outcome === 'held') this.pending = null;
        this.phase = 'progressing';
        this.stage = event.data.stage;
        this.push(event, 'stageEntered', text);
        return;
      case 'weight.desired':
        this.desiredAt.set(event.data.generation, event.at);
        this.lastDesired = { generation: event.data.generation, weightPercent: event.data.weightPercent };
        this.push(event, 'weightDesired', text);
        if (this.pending && this.pending.ending.finalWeightPercent === event.data.weightPercent) this.finalWeight = this.lastDesired;
        return;
      case 'weight.applied':
        return this.applied(event);
      case 'weight.applyFailed': {
        const folded = this.failedApplies.get(event.data.generation);
        if (folded) folded.count = (folded.count ?? 1) + 1;
        else this.failedApplies.set(event.data.generation, this.push(event, 'weightApplyFailed', text));
        return;
      }
      case 'command.issued':
        this.lastCommand = { command: event.data.command, actor: event.data.actor ?? null };
        this.push(event, 'command', text);
        return;
      case 'command.rejected':
        this.push(event, 'commandRejected', text);
        return;
      case 'paused':
        this.phase = 'paused';
        this.push(event, 'paused', text);
        return;
      case 'resumed':
        this.phase = 'progressing';
        this.push(event, 'resumed', text);
        return;
      case 'stage.extended':
        this.push(event, 'extended', text);
        return;
      case 'stage.awaitingApproval':
        this.phase = 'awaitingApproval';
        this.push(event, 'awaitingApproval', text);
        return;
      case 'stage.held':
        this.phase = 'holding';
        this.push(event, 'held', text, event.data.evidence);
        this.decided(event.at, { outcome: 'held', stage: event.data.stage, reason: 'gate', gate: event.data.gate ?? null, actor: null, evidence: event.data.evidence }, null);
        return;
      case 'gate.evaluated':
        if (this.recomputing === null) this.countVerdict(event.data, event.at);
        return this.evaluated(event);
      case 'rollback.started': {
        this.phase = 'rollingBack';
        this.push(event, 'rollbackStarted', text, event.data.evidence);
        const gate = event.data.gate ?? null;
        const actor = event.data.reason === 'operator' ? this.lastCommand?.actor ?? null : null;
        const history = gate === null ? undefined : this.gates.get(gateKey(event.data.stage, gate));
        const ending = { outcome: 'rollingBack', stage: event.data.stage, reason: event.data.reason, gate, actor, evidence: event.data.evidence } as const;
        this.decided(event.at, ending, history?.firstFailAt ?? null);
        return;
      }
      case 'rollback.completed':
        this.phase = 'rolledBack';
        this.endedAt = event.at;
        if (this.pending) this.pending.ending.outcome = 'rolledBack';
        this.push(event, 'rollbackCompleted', text);
        return;
      case 'completed':
        this.phase = 'completed';
        this.endedAt = event.at;
        this.decided(event.at, { outcome: 'completed', stage: this.stage ?? '', reason: null, gate: null, actor: null, evidence: null }, null, 100);
        this.verifiedAlready(100);
        this.push(event, 'completed', text);
        return;
      case 'aborted':
        this.phase = 'aborted';
        this.endedAt = event.at;
        this.decided(event.at, { outcome: 'aborted', stage: this.stage ?? '', reason: event.data.reason, gate: null, actor: this.lastCommand?.actor ?? null, evidence: null }, null);
        this.verifiedAlready(0);
        this.push(event, 'aborted', text);
        return;
      default:
        return;
    }
  }

  result(): AuditTimeline {
    const spec = this.spec;
    if (spec === null) {
      // Only a log edited outside Sluice (or an empty event list) lacks it: a coded error, not a crash.
      throw new EventInvalidError({ rolloutId: this.rolloutId, position: 0, field: 'type' }, 'the rollout has no rollout.created event; `sluice verify --db FILE` checks the log');
    }
    const outcome: AuditOutcome =
      this.phase === 'completed' ? 'completed' : this.phase === 'rolledBack' ? 'rolledBack' : this.phase === 'aborted' ? 'aborted' : 'unfinished';
    const ending = this.pending?.ending ?? null;
    return {
      rolloutId: spec.id,
      service: spec.service,
      baseline: spec.baseline,
      candidate: spec.candidate,
      createdAt: iso(this.firstAt),
      lastEventAt: iso(this.lastAt),
      events: this.count,
      outcome,
      endedAt: this.endedAt === null ? null : iso(this.endedAt),
      phase: this.phase,
      stage: this.stage,
      reason: reasonLine(this.phase, this.stage, ending),
      plan: spec.stages.map((s, index) => ({
        index,
        name: s.name,
        weightPercent: s.weightPercent,
        durationMinMs: s.durationMin,
        durationMaxMs: s.durationMax,
        onFail: s.onFail,
        approval: s.approval ? (s.approval.webhook ? `webhook ${s.approval.webhook}` : 'manual') : null,
        gates: s.gates.map(gateNameOf),
      })),
      rollbackMode: spec.rollback.mode === 'gradual' ? `gradual through ${spec.rollback.stepsPercent.join('%, ')}%` : 'immediate',
      entries: this.entries,
      entriesOmitted: this.omitted,
      gates: [...this.gates.values()],
      verdictsRecomputed: this.recomputing !== null,
      ending,
    };
  }

  private push(event: AnyStoredEvent, kind: EntryKind, text: string, evidence?: Evidence): TimelineEntry {
    const entry: TimelineEntry = { at: iso(event.at), position: event.position, kind, text, ...(evidence ? { evidence } : {}) };
    if (this.entries.length < TIMELINE_ENTRIES_MAX) this.entries.push(entry);
    else this.omitted += 1;
    return entry;
  }

  private applied(event: AnyStoredEvent & { type: 'weight.applied' }): void {
    const { generation, weightPercent } = event.data;
    if (this.verified.has(generation)) return; // a read-back of a generation already verified
    this.verified.add(generation);
    this.lastVerified = { generation, weightPercent, at: event.at };
    const desiredAt = this.desiredAt.get(generation);
    const after = desiredAt === undefined ? '' : `, ${formatMs(event.at - desiredAt)} after it was desired`;
    this.push(event, 'weightVerified', `${weightPercent}% in force, read back by the adapter (generation ${generation})${after}`);
    const final = this.finalWeight;
    if (this.pending && final && final.generation === generation && this.pending.ending.finalWeightVerifiedAt === null) {
      this.settle(event.at);
    }
  }

  /** A verdict the log holds: a line in the timeline when it changed (a gate that starts inconclusive is not news). */
  private evaluated(event: AnyStoredEvent & { type: 'gate.evaluated' }): void {
    const { stage, gate, verdict, evidence } = event.data;
    const key = gateKey(stage, gate);
    const previous = this.recordedVerdicts.get(key);
    this.recordedVerdicts.set(key, verdict);
    const changed = previous === undefined ? verdict !== 'inconclusive' : previous !== verdict;
    if (changed) {
      const from = previous === undefined ? '' : ` (was ${previous})`;
      this.push(event, 'gateVerdict', `${gate} in ${stage}: ${verdict}${from} — ${evidence.summary}`, evidence);
    }
  }

  /** One verdict in its gate's history: from the log, or recomputed from the inputs (TimelineOptions). */
  private countVerdict(data: GateEvaluatedData, verdictAt: number): void {
    const { stage, gate, kind, verdict, evidence } = data;
    const key = gateKey(stage, gate);
    const at = iso(verdictAt);
    let history = this.gates.get(key);
    if (!history) {
      history = { stage, gate, kind, evaluations: 0, verdicts: { pass: 0, fail: 0, inconclusive: 0 }, firstAt: at, lastAt: at, firstPassAt: null, firstFailAt: null, lastVerdict: verdict, lastSummary: '' };
      this.gates.set(key, history);
    }
    history.evaluations += 1;
    history.verdicts[verdict] += 1;
    history.lastAt = at;
    history.lastVerdict = verdict;
    history.lastSummary = evidence.summary;
    if (verdict === 'pass' && history.firstPassAt === null) history.firstPassAt = at;
    if (verdict === 'fail' && history.firstFailAt === null) history.firstFailAt = at;
  }

  private decided(at: number, ending: Omit<AuditEnding, 'at' | 'summary' | 'firstFailAt' | 'finalWeightPercent' | 'finalWeightVerifiedAt' | 'firstFailToVerifiedMs' | 'decisionToVerifiedMs'>, firstFailAt: string | null, finalWeightPercent = 0): void {
    this.finalWeight = null;
    this.pending = {
      decidedAt: at,
      firstFailAt: firstFailAt === null ? null : Date.parse(firstFailAt),
      ending: {
        ...ending,
        at: iso(at),
        summary: ending.evidence?.summary ?? null,
        firstFailAt,
        finalWeightPercent,
        finalWeightVerifiedAt: null,
        firstFailToVerifiedMs: null,
        decisionToVerifiedMs: null,
      },
    };
  }

  /**
   * Completion and abort may find their final weight desired or verified already (completed once 100% was verified;
   * aborted while the weight was 0 or going there).
   */
  private verifiedAlready(weightPercent: number): void {
    const desired = this.lastDesired;
    if (desired !== null && desired.weightPercent === weightPercent) this.finalWeight = desired;
    const verified = this.lastVerified;
    if (verified !== null && verified.weightPercent === weightPercent && (this.finalWeight === null || verified.generation >= this.finalWeight.generation)) {
      this.settle(verified.at);
    }
  }

  private settle(verifiedAt: number): void {
    const pending = this.pending!;
    pending.ending.finalWeightVerifiedAt = iso(verifiedAt);
    // A rollout completed at 100% already in force: the weight was verified before the decision, not after it.
    pending.ending.decisionToVerifiedMs = verifiedAt >= pending.decidedAt ? verifiedAt - pending.decidedAt : null;
    pending.ending.firstFailToVerifiedMs = pending.firstFailAt === null ? null : verifiedAt - pending.firstFailAt;
  }
}

function gateKey(stage: string, gate: string): string {
  return `${stage}\u0000${gate}`;
}

function reasonLine(phase: string, stage: string | null, ending: AuditEnding | null): string {
  if (ending === null) return `${phase} in stage ${stage ?? '-'}`;
  const cause = ending.gate ? `gate ${ending.gate}` : ending.reason ?? '';
  switch (ending.outcome) {
    case 'completed':
      return `completed from stage ${ending.stage}`;
    case 'aborted':
      return `aborted in stage ${ending.stage}: ${ending.reason ?? ''}${ending.actor && !ending.reason?.includes(ending.actor) ? ` (by ${ending.actor})` : ''}`;
    case 'held':
      return `holding in stage ${ending.stage} (${cause}): ${ending.summary ?? ''}`;
    default:
      return `${ending.outcome === 'rolledBack' ? 'rolled back' : 'rolling back'} from stage ${ending.stage} (${ending.reason === 'gate' || ending.reason === 'health' ? cause : ending.reason}${ending.actor ? ` by ${ending.actor}` : ''})${ending.summary ? `: ${ending.summary}` : ''}`;
  }
}
