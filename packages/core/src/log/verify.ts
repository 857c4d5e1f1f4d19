import { canonicalJson } from './canonicalJson.js';
import { eventHash, GENESIS_HASH } from './eventHash.js';
import type { EventLog } from './EventLog.js';
import type { EventRow } from './eventRow.js';
import { chainLink, checkpointSeal, GENESIS_LINK, headSeal, type ChainKey } from './logChain.js';

/** The first link of the log that does not verify. */
export interface BrokenLink {
  /** Rollout of the broken link; null when the rows left cannot tell (a sequence gap at the very end). */
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
  /** The log's head (last row and its link) when the log is not empty: what an outside system should hold. */
  head?: { seq: number; link: string | null };
  /** For a keyed log: its key id, and whether the keyed links and seals were checked (only with the key). */
  keyed?: { keyId: string; keyedSinceSeq: number; checked: boolean };
  /** For a tail verification: the checkpoint it started from. */
  fromCheckpointSeq?: number;
}

interface ChainState {
  nextPosition: number;
  prevHash: string;
  lastSeq: number;
  lastLink: string | null;
}

/**
 * The kinds of break, most telling first: when several are found, the one that best says what and where is reported
 * (a deleted middle row is reported as the rollout position missing, not as the sequence gap it also leaves).
 */
const PRIORITY = { chain: 0, inserted: 1, head: 2, gap: 3, link: 4, end: 5 } as const;
type Kind = keyof typeof PRIORITY;

/**
 * Recomputes the log's chains (logChain.ts, eventHash.ts) from the rows as stored — reading raw rows, so it sees what is
 * on disk even when someone dropped the triggers and edited, deleted, inserted or renumbered rows:
 * - each rollout's chain: positions contiguous from 0, prev_hash equal to the previous event's hash, each hash equal to
 *   SHA-256 over prev_hash and the canonical content (catches edits of content, type, time, version; deletions and
 *   insertions inside a rollout);
 * - the log-wide chain: sequence numbers contiguous from 1, every link equal to the link recomputed from the previous
 *   one, the row's sequence number and its hash — keyed links only with the key (catches renumbered or swapped rows,
 *   rows inserted outside Sluice, and deletions anywhere but the end);
 * - the heads: every rollout's stored head equal to its last row, sealed when keyed, and sqlite_sequence not beyond the
 *   last row (catches deletions at the end, which no chain of the remaining rows can show).
 * Schema-1 logs (before the log-wide chain) get the rollout chains and the sequence checks only.
 */
export class ChainVerifier {
  readonly #log: EventLog;
  readonly #throughSeq: number;
  readonly #key: ChainKey | undefined;
  readonly #keyedSinceSeq: number;
  readonly #chains = new Map<string, ChainState>();
  readonly #linked: boolean;
  #events = 0;
  #lastSeq = 0;
  #link = GENESIS_LINK;
  #found: { kind: Kind; link: BrokenLink } | undefined;
  #done = false;
  #keyedUnchecked = false;

  /** `throughSeq`: verify rows up to it only, and skip the end checks (the daemon's background pass). */
  constructor(log: EventLog, options: { throughSeq?: number } = {}) {
    this.#log = log;
    this.#throughSeq = options.throughSeq ?? Number.POSITIVE_INFINITY;
    this.#key = log.key;
    this.#keyedSinceSeq = log.chainInfo().keyedSinceSeq ?? Number.POSITIVE_INFINITY;
    this.#linked = log.schemaVersion >= 2;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Verifies up to `rowsMax` more rows; returns true once every row is checked or the rollout chains broke. */
  step(rowsMax = Number.POSITIVE_INFINITY): boolean {
    if (this.#done) return true;
    let checked = 0;
    for (const row of this.#log.rows(this.#lastSeq + 1)) {
      if (row.seq > this.#throughSeq) break;
      this.#check(row);
      if (this.#found?.kind === 'chain') return (this.#done = true);
      if (++checked >= rowsMax) return false;
    }
    return (this.#done = true);
  }

  /** The result; with no `throughSeq`, after the end checks (heads, sqlite_sequence). */
  finish(): VerifyResult {
    while (!this.step());
    if (this.#throughSeq === Number.POSITIVE_INFINITY && this.#found?.kind !== 'chain') this.#checkEnd();
    return this.#result();
  }

  #check(row: EventRow): void {
    this.#events++;
    if (row.seq !== this.#lastSeq + 1) this.#report('gap', sequenceGap(this.#lastSeq + 1, row.seq, row));
    this.#lastSeq = row.seq;
    let chain = this.#chains.get(row.rollout_id);
    if (!chain) {
      chain = { nextPosition: 0, prevHash: GENESIS_HASH, lastSeq: 0, lastLink: null };
      this.#chains.set(row.rollout_id, chain);
    }
    const reason = checkRolloutLink(row, chain.nextPosition, chain.prevHash);
    if (reason !== undefined) {
      const position = Math.min(row.position, chain.nextPosition);
      this.#report('chain', { rolloutId: row.rollout_id, position, seq: row.seq, reason });
      return;
    }
    if (this.#linked) this.#checkLink(row);
    chain.nextPosition = row.position + 1;
    chain.prevHash = row.hash;
    chain.lastSeq = row.seq;
    chain.lastLink = row.link ?? null;
  }

  #checkLink(row: EventRow): void {
    const where = { rolloutId: row.rollout_id, position: row.position, seq: row.seq };
    if (row.link === null || row.link === undefined) {
      this.#report('inserted', { ...where, reason: 'the row has no log-wide chain link: it was inserted outside Sluice' });
      return;
    }
    const keyed = row.seq >= this.#keyedSinceSeq;
    if (keyed && !this.#key) {
      this.#keyedUnchecked = true;
    } else if (chainLink(this.#link, row.seq, row.hash, keyed ? this.#key : undefined) !== row.link) {
      this.#report('link', {
        ...where,
        reason: `the log-wide chain link does not match: rows were inserted, removed, reordered or renumbered at or before sequence ${row.seq}${keyed ? ', or the chain key is not the one it was written with' : ''}`,
      });
    }
    this.#link = row.link;
  }

  #checkEnd(): void {
    const assigned = this.#log.lastAssignedSeq();
    if (assigned > this.#lastSeq) this.#report('end', sequenceGap(this.#lastSeq + 1, assigned + 1, undefined));
    if (!this.#linked) return;
    const heads = new Map(this.#log.storedHeads().map((head) => [head.rolloutId, head]));
    for (const [rolloutId, chain] of this.#chains) {
      const head = heads.get(rolloutId);
      const last = { rolloutId, position: chain.nextPosition - 1, seq: chain.lastSeq };
      if (!head) {
        this.#report('head', { ...last, reason: 'the rollout has no stored head: its head was deleted, or its rows were inserted outside Sluice' });
        continue;
      }
      heads.delete(rolloutId);
      if (head.position !== last.position || head.seq !== chain.lastSeq || head.hash !== chain.prevHash || head.link !== chain.lastLink) {
        const reason =
          head.position > last.position
            ? `its head is position ${head.position} (sequence ${head.seq}) but its last event is at position ${last.position}: the last ${head.position - last.position} event(s) were deleted`
            : head.position < last.position
              ? `its last event (position ${last.position}, sequence ${chain.lastSeq}) is beyond its head (position ${head.position}): events were appended outside Sluice`
              : `its head (position ${head.position}, sequence ${head.seq}) does not match its last event (position ${last.position}, sequence ${chain.lastSeq}): the head or the last event was edited`;
        this.#report('head', { ...last, reason });
        continue;
      }
      if (head.seq >= this.#keyedSinceSeq) {
        if (!this.#key) this.#keyedUnchecked = true;
        else if (head.seal !== headSeal(head, this.#key)) this.#report('head', { ...last, reason: 'the seal of its head does not match (the head was rewritten without the chain key)' });
      }
    }
    for (const head of heads.values()) {
      this.#report('head', {
        rolloutId: head.rolloutId,
        position: head.position,
        seq: head.seq,
        reason: `its head is position ${head.position} (sequence ${head.seq}) but the log holds no event of it: every event of the rollout was deleted`,
      });
    }
  }

  #report(kind: Kind, link: BrokenLink): void {
    if (!this.#found || PRIORITY[kind] < PRIORITY[this.#found.kind]) this.#found = { kind, link };
  }

  #result(): VerifyResult {
    const result: VerifyResult = { ok: this.#found === undefined, rollouts: this.#chains.size, events: this.#events };
    if (this.#found) result.broken = this.#found.link;
    const head = this.#log.logHead();
    if (head) result.head = head;
    const info = this.#log.chainInfo();
    if (info.keyId !== undefined) result.keyed = { keyId: info.keyId, keyedSinceSeq: info.keyedSinceSeq ?? 1, checked: !this.#keyedUnchecked };
    return result;
  }
}

/** Verifies the whole log in one read snapshot (rows appended meanwhile by a daemon are not half-seen). */
export function verifyLog(log: EventLog): VerifyResult {
  return log.snapshot(() => new ChainVerifier(log).finish());
}

/**
 * The daemon's fast check before it is ready: the rows after the last verification checkpoint (the whole log when there
 * is none), each against the row it links to, and every head that moved since — so a log that grew by a few thousand
 * rows since its last start is checked in milliseconds whatever its size. The rows up to the checkpoint are verified
 * again in the background (ChainVerifier with `throughSeq`).
 */
export function verifyTail(log: EventLog): VerifyResult {
  return log.snapshot(() => {
    const checkpoint = log.lastCheckpoint();
    if (!checkpoint) return new ChainVerifier(log).finish();
    return new TailVerifier(log, checkpoint.seq, checkpoint.link, checkpoint.seal).run();
  });
}

class TailVerifier {
  readonly #log: EventLog;
  readonly #fromSeq: number;
  readonly #fromLink: string;
  readonly #seal: string | null;
  readonly #key: ChainKey | undefined;
  readonly #keyedSinceSeq: number;
  readonly #chains = new Map<string, ChainState>();
  #events = 0;
  #keyedUnchecked = false;

  constructor(log: EventLog, fromSeq: number, fromLink: string, seal: string | null) {
    this.#log = log;
    this.#fromSeq = fromSeq;
    this.#fromLink = fromLink;
    this.#seal = seal;
    this.#key = log.key;
    this.#keyedSinceSeq = log.chainInfo().keyedSinceSeq ?? Number.POSITIVE_INFINITY;
  }

  run(): VerifyResult {
    const broken = this.#verify();
    const result: VerifyResult = { ok: broken === undefined, rollouts: this.#chains.size, events: this.#events, fromCheckpointSeq: this.#fromSeq };
    if (broken) result.broken = broken;
    const head = this.#log.logHead();
    if (head) result.head = head;
    const info = this.#log.chainInfo();
    if (info.keyId !== undefined) result.keyed = { keyId: info.keyId, keyedSinceSeq: info.keyedSinceSeq ?? 1, checked: !this.#keyedUnchecked };
    return result;
  }

  #verify(): BrokenLink | undefined {
    const anchor = this.#log.rowAt(this.#fromSeq);
    if (!anchor || anchor.link !== this.#fromLink) {
      return { rolloutId: anchor?.rollout_id ?? null, position: anchor?.position ?? null, seq: this.#fromSeq, reason: `the row at sequence ${this.#fromSeq}, where the last verification checkpoint ends, ${anchor ? 'no longer has the link it had' : 'was deleted'}` };
    }
    if (this.#fromSeq >= this.#keyedSinceSeq) {
      if (!this.#key) this.#keyedUnchecked = true;
      else if (this.#seal !== checkpointSeal(this.#fromSeq, this.#fromLink, this.#key)) {
        return { rolloutId: null, position: null, seq: this.#fromSeq, reason: 'the seal of the last verification checkpoint does not match (it was written without the chain key)' };
      }
    }
    let lastSeq = this.#fromSeq;
    let link = this.#fromLink;
    for (const row of this.#log.rows(this.#fromSeq + 1)) {
      this.#events++;
      const where = { rolloutId: row.rollout_id, position: row.position, seq: row.seq };
      if (row.seq !== lastSeq + 1) return sequenceGap(lastSeq + 1, row.seq, row);
      lastSeq = row.seq;
      const chain = this.#chainBefore(row);
      const reason = checkRolloutLink(row, chain.nextPosition, chain.prevHash);
      if (reason !== undefined) return { ...where, position: Math.min(row.position, chain.nextPosition), reason };
      if (row.link === null || row.link === undefined) return { ...where, reason: 'the row has no log-wide chain link: it was inserted outside Sluice' };
      const keyed = row.seq >= this.#keyedSinceSeq;
      if (keyed && !this.#key) this.#keyedUnchecked = true;
      else if (chainLink(link, row.seq, row.hash, keyed ? this.#key : undefined) !== row.link) {
        return { ...where, reason: `the log-wide chain link does not match: rows were inserted, removed, reordered or renumbered at or before sequence ${row.seq}` };
      }
      link = row.link;
      Object.assign(chain, { nextPosition: row.position + 1, prevHash: row.hash, lastSeq: row.seq, lastLink: row.link });
    }
    const assigned = this.#log.lastAssignedSeq();
    if (assigned > lastSeq) return sequenceGap(lastSeq + 1, assigned + 1, undefined);
    // Every head that moved after the checkpoint belongs to a rollout with rows after it, and matches its last one.
    for (const head of this.#log.storedHeads()) {
      if (head.seq <= this.#fromSeq && !this.#chains.has(head.rolloutId)) continue;
      const chain = this.#chains.get(head.rolloutId);
      const where = { rolloutId: head.rolloutId, position: head.position, seq: head.seq };
      if (!chain) return { ...where, reason: `its head is position ${head.position} (sequence ${head.seq}) but no such event is in the log: the last event(s) were deleted` };
      if (head.position !== chain.nextPosition - 1 || head.seq !== chain.lastSeq || head.hash !== chain.prevHash || head.link !== chain.lastLink) {
        return { ...where, reason: `its head (position ${head.position}, sequence ${head.seq}) does not match its last event (position ${chain.nextPosition - 1}, sequence ${chain.lastSeq}): the last event(s) were deleted, or the head was edited` };
      }
      if (head.seq >= this.#keyedSinceSeq) {
        if (!this.#key) this.#keyedUnchecked = true;
        else if (head.seal !== headSeal(head, this.#key)) return { ...where, reason: 'the seal of its head does not match (the head was rewritten without the chain key)' };
      }
    }
    for (const [rolloutId, chain] of this.#chains) {
      if (!this.#log.storedHead(rolloutId)) return { rolloutId, position: chain.nextPosition - 1, seq: chain.lastSeq, reason: 'the rollout has no stored head: its head was deleted, or its rows were inserted outside Sluice' };
    }
    return undefined;
  }

  /** A rollout's chain state just before its first row after the checkpoint: read from its previous row. */
  #chainBefore(row: EventRow): ChainState {
    let chain = this.#chains.get(row.rollout_id);
    if (chain) return chain;
    const previous = row.position > 0 ? this.#log.rowOf(row.rollout_id, row.position - 1) : undefined;
    chain =
      previous && previous.seq < row.seq
        ? { nextPosition: previous.position + 1, prevHash: previous.hash, lastSeq: previous.seq, lastLink: previous.link ?? null }
        : { nextPosition: row.position > 0 ? Math.max(0, row.position - 1) : 0, prevHash: GENESIS_HASH, lastSeq: 0, lastLink: null };
    this.#chains.set(row.rollout_id, chain);
    return chain;
  }
}

/** Why a row does not continue its rollout's chain, or undefined when it does. */
function checkRolloutLink(row: EventRow, nextPosition: number, prevHash: string): string | undefined {
  if (row.position > nextPosition) {
    const missing = row.position - nextPosition;
    return `position ${nextPosition} is missing (${missing} event(s) deleted before position ${row.position})`;
  }
  if (row.position < nextPosition) {
    return `position ${row.position} appears again at sequence ${row.seq}, after position ${nextPosition - 1} (rows reordered or duplicated)`;
  }
  if (row.prev_hash !== prevHash) {
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

/** Sequences `fromSeq` … `toSeq − 1` are missing; `next` is the row found after them, if any. */
function sequenceGap(fromSeq: number, toSeq: number, next: EventRow | undefined): BrokenLink {
  if (toSeq < fromSeq) {
    const where = next ? { rolloutId: next.rollout_id, position: next.position } : { rolloutId: null, position: null };
    return { ...where, seq: toSeq, reason: `sequence ${toSeq} comes after sequence ${fromSeq - 1}: rows were renumbered` };
  }
  const missing = toSeq - fromSeq === 1 ? `sequence ${fromSeq} is` : `sequences ${fromSeq}–${toSeq - 1} are`;
  if (next) {
    // Whose rows they were, the rows left cannot tell: the rollouts' own chains or heads name it when they can.
    return { rolloutId: null, position: null, seq: fromSeq, reason: `${missing} missing before sequence ${next.seq} (rollout ${next.rollout_id} position ${next.position}): the event(s) there were deleted` };
  }
  return {
    rolloutId: null,
    position: null,
    seq: fromSeq,
    reason: `${missing} missing at the end of the log: the last event(s) were deleted (the rows left cannot tell whose)`,
  };
}
