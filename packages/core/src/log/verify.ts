import { canonicalJson } from './canonicalJson.js';
import { eventHash, GENESIS_HASH } from './eventHash.js';
import type { EventLog } from './EventLog.js';
import type { EventRow } from './eventRow.js';

/** The first link of the log that does not verify. */
export interface BrokenLink {
  /** Rollout of the broken link; null only for a deleted last row, whose rollout the remaining rows cannot tell. */
  rolloutId: string | null;
  /** Position in that rollout; null together with rolloutId. */
  position: number | null;
  /** Global sequence number concerned, when known. */
  seq: number | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Rollouts seen. */
  rollouts: number;
  /** Events checked. */
  events: number;
  broken?: BrokenLink;
}

interface ChainState {
  nextPosition: number;
  prevHash: string;
}

/**
 * Recomputes every rollout's hash chain: positions contiguous from 0, each prev_hash equal to the previous event's
 * hash, each hash equal to SHA-256 over prev_hash and the event's canonical content. Reads raw rows, so it sees exactly
 * what is on disk even when someone dropped the triggers and edited, deleted or swapped rows.
 *
 * The chain alone cannot see a deleted *last* event of a rollout, so the global sequence is checked too: sequences are
 * assigned 1, 2, 3… (AUTOINCREMENT, and rolled-back transactions give theirs back), so with no deletion they are
 * contiguous up to the highest ever assigned. Which link is reported first: the first chain break in sequence order,
 * which names rollout and position; otherwise the first sequence gap.
 */
export function verifyLog(log: EventLog): VerifyResult {
  // One snapshot: on a live log, rows appended while we read would otherwise look like a gap up to the highest sequence.
  return log.snapshot(() => verifySnapshot(log));
}

function verifySnapshot(log: EventLog): VerifyResult {
  const chains = new Map<string, ChainState>();
  let events = 0;
  let lastSeq = 0;
  let gap: BrokenLink | undefined;
  for (const row of log.rows()) {
    events++;
    if (!gap && row.seq !== lastSeq + 1) gap = sequenceGap(lastSeq + 1, row.seq);
    lastSeq = row.seq;
    let chain = chains.get(row.rollout_id);
    if (!chain) {
      chain = { nextPosition: 0, prevHash: GENESIS_HASH };
      chains.set(row.rollout_id, chain);
    }
    const reason = checkLink(row, chain);
    if (reason !== undefined) {
      const position = Math.min(row.position, chain.nextPosition);
      return { ok: false, rollouts: chains.size, events, broken: { rolloutId: row.rollout_id, position, seq: row.seq, reason } };
    }
    chain.nextPosition = row.position + 1;
    chain.prevHash = row.hash;
  }
  const assigned = log.lastAssignedSeq();
  if (!gap && assigned > lastSeq) gap = sequenceGap(lastSeq + 1, assigned + 1);
  if (gap) return { ok: false, rollouts: chains.size, events, broken: gap };
  return { ok: true, rollouts: chains.size, events };
}

function checkLink(row: EventRow, chain: ChainState): string | undefined {
  if (row.position > chain.nextPosition) {
    const missing = row.position - chain.nextPosition;
    return `position ${chain.nextPosition} is missing (${missing} event(s) deleted before position ${row.position})`;
  }
  if (row.position < chain.nextPosition) {
    return `position ${row.position} appears again at sequence ${row.seq}, after position ${chain.nextPosition - 1} (rows reordered or duplicated)`;
  }
  if (row.prev_hash !== chain.prevHash) {
    return 'previous-hash link does not match the hash of the event before it (an event was removed or replaced)';
  }
  if (recomputeHash(row) !== row.hash) {
    return 'hash does not match the stored content (its data, type, version or time was edited)';
  }
  return undefined;
}

function recomputeHash(row: EventRow): string | undefined {
  const content = { rolloutId: row.rollout_id, position: row.position, type: row.type, version: row.version, at: row.at };
  // Appends store canonical JSON, so the stored text hashes as is; re-canonicalise only when it does not, so that
  // a tool that rewrote the same content with other key order or spacing is not reported as tampering.
  const direct = eventHash(row.prev_hash, { ...content, dataJson: row.data });
  if (direct === row.hash) return direct;
  try {
    return eventHash(row.prev_hash, { ...content, dataJson: canonicalJson(JSON.parse(row.data), 'data') });
  } catch {
    return undefined;
  }
}

function sequenceGap(fromSeq: number, toSeq: number): BrokenLink {
  const missing = toSeq - fromSeq === 1 ? `sequence ${fromSeq} is` : `sequences ${fromSeq}–${toSeq - 1} are`;
  return {
    rolloutId: null,
    position: null,
    seq: fromSeq,
    reason: `${missing} missing: the last event(s) of some rollout were deleted (every rollout's chain is intact, so which rollout cannot be told)`,
  };
}
