import { decide, initialRolloutState, isInputType, rolloutView, type AnyStoredEvent, type NewInputEvent, type RolloutState } from '@sluice/core/replay';
import { rolloutJsonOf } from '../../runtime/rolloutJson.js';
import { iso } from './entryText.js';
import type { AuditTimeline, EntryKind, TimelineEntry } from './timelineTypes.js';

/**
 * A rollout at one moment (`sluice audit --db FILE ID --at TIME`): its state then, and the decision nearest to that
 * moment with the timeline around it — the answer to "why did it roll back at 14:02?". Also the `--json` output.
 */
export interface AuditMoment {
  at: string;
  /** The rollout as `sluice status --json` shows it, folded from the log's events up to `at`. */
  rollout: Record<string, unknown>;
  /** The most decisive timeline entry closest to `at` (ties: the earlier one, then the more decisive kind). */
  nearest: MomentEntry | null;
  /** Up to MOMENT_CONTEXT_ENTRIES entries before and after the nearest one. */
  before: TimelineEntry[];
  after: TimelineEntry[];
}

export type MomentEntry = TimelineEntry & { offsetMs: number };

export const MOMENT_CONTEXT_ENTRIES = 3;

/**
 * Entries at the same moment are ranked: a decision before the input that caused it (its text names the command's
 * actor), and the rollback before the weight change it caused.
 */
const RANK: readonly EntryKind[] = [
  'rollbackStarted', 'held', 'aborted', 'completed', 'rollbackCompleted', 'gateVerdict', 'commandRejected', 'paused',
  'resumed', 'awaitingApproval', 'stageEntered', 'extended', 'command', 'weightApplyFailed', 'weightDesired',
  'weightVerified', 'created',
];

/**
 * Folds the rollout's inputs, in log order up to the first event after `at`, through the rollout machine (as the
 * daemon rebuilds a rollout after a restart) and finds the timeline entry nearest to `at`. Pure.
 */
export function momentAt(events: Iterable<AnyStoredEvent>, at: number, timeline: AuditTimeline): AuditMoment {
  let state: RolloutState = initialRolloutState();
  let nextPosition = 0;
  for (const event of events) {
    if (event.at > at) break;
    if (isInputType(event.type)) state = decide(state, { type: event.type, at: event.at, data: event.data } as NewInputEvent).state;
    nextPosition = event.position + 1;
  }
  const view = rolloutView(state);
  const rollout = view.spec === null ? { id: timeline.rolloutId, state: view } : rolloutJsonOf(view.spec, view, nextPosition);
  const entries = timeline.entries;
  const index = nearestIndex(entries, at);
  if (index < 0) return { at: iso(at), rollout, nearest: null, before: [], after: [] };
  const entry = entries[index]!;
  return {
    at: iso(at),
    rollout,
    nearest: { ...entry, offsetMs: Date.parse(entry.at) - at },
    before: entries.slice(Math.max(0, index - MOMENT_CONTEXT_ENTRIES), index),
    after: entries.slice(index + 1, index + 1 + MOMENT_CONTEXT_ENTRIES),
  };
}

function nearestIndex(entries: readonly TimelineEntry[], at: number): number {
  let best = -1;
  let bestDistance = Infinity;
  let bestBefore = false;
  entries.forEach((entry, index) => {
    const offset = Date.parse(entry.at) - at;
    const distance = Math.abs(offset);
    const before = offset <= 0;
    const closer = distance < bestDistance || (distance === bestDistance && before && !bestBefore);
    const sameMomentMoreDecisive =
      best >= 0 && entry.at === entries[best]!.at && RANK.indexOf(entry.kind) < RANK.indexOf(entries[best]!.kind);
    if (closer || sameMomentMoreDecisive) {
      best = index;
      bestDistance = distance;
      bestBefore = before;
    }
  });
  return best;
}
