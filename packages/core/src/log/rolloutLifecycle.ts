import type { Database, Statement } from 'better-sqlite3';
import type { RolloutPhase } from '../machine/rolloutContext.js';

/**
 * Where each rollout began and ended, read without folding its events: a daemon with thousands of ended rollouts in its
 * log finds the few active ones with one query, and lists ended ones page by page. It reads the partial index
 * `events_lifecycle` (migration 3), which holds only the rows below — derived from the log like any index (SQLite
 * rebuilds it with `REINDEX`), never a second source of truth.
 *
 * The decisions that end a rollout, and the phase each leaves it in. The machine reaches its terminal states only by
 * these decisions (rolloutLifecycle.int.test.ts checks the index against the folded view of every kind of ending).
 */
export const ROLLOUT_END_PHASES = {
  completed: 'completed',
  'rollback.completed': 'rolledBack',
  aborted: 'aborted',
} as const satisfies Record<string, RolloutPhase>;

export type RolloutEndType = keyof typeof ROLLOUT_END_PHASES;

/**
 * The WHERE of the partial index, repeated word for word by every query: SQLite uses a partial index only for queries
 * whose WHERE contains the index's own terms (sqlite.org/partialindex.html).
 */
const LIFECYCLE_WHERE = "type IN ('rollout.created', 'completed', 'rollback.completed', 'aborted')";
const END_TYPES_SQL = "type IN ('completed', 'rollback.completed', 'aborted')";

/** How a rollout ended: the decision, its position in the rollout's log, when, and its global sequence number. */
export interface RolloutEnd {
  rolloutId: string;
  type: RolloutEndType;
  phase: (typeof ROLLOUT_END_PHASES)[RolloutEndType];
  position: number;
  at: number;
  seq: number;
}

/** One rollout's lifecycle: created (sequence number and time of `rollout.created`) and, once it ended, how. */
export interface RolloutLifecycle {
  rolloutId: string;
  createdSeq: number;
  createdAt: number;
  end: RolloutEnd | null;
}

/** Ended rollouts read per page at most. */
export const ENDED_PAGE_MAX = 1_000;

type LifecycleRow = [type: string, seq: number, rolloutId: string, position: number, at: number];

/** Rollouts in a log: all of them, and the ended ones by how they ended. */
export interface RolloutCounts {
  rollouts: number;
  ended: Record<(typeof ROLLOUT_END_PHASES)[RolloutEndType], number>;
}

/** The prepared queries on the lifecycle index of one database connection (EventLog holds one). */
export class RolloutLifecycleQueries {
  readonly #all: Statement<[], LifecycleRow>;
  readonly #ended: Statement<[number, number], LifecycleRow>;
  readonly #counts: Statement<[], [type: string, count: number]>;

  constructor(db: Database) {
    this.#all = db.prepare<[], LifecycleRow>(`SELECT type, seq, rollout_id, position, at FROM events WHERE ${LIFECYCLE_WHERE} ORDER BY seq`).raw(true);
    this.#ended = db
      .prepare<[number, number], LifecycleRow>(
        `SELECT type, seq, rollout_id, position, at FROM events WHERE ${LIFECYCLE_WHERE} AND ${END_TYPES_SQL} AND seq < ? ORDER BY seq DESC LIMIT ?`,
      )
      .raw(true);
    this.#counts = db.prepare<[], [string, number]>(`SELECT type, count(*) FROM events WHERE ${LIFECYCLE_WHERE} GROUP BY type`).raw(true);
  }

  /** How many rollouts the log holds, and how many ended each way (one scan of the index's entries, no row read). */
  counts(): RolloutCounts {
    const counts: RolloutCounts = { rollouts: 0, ended: { completed: 0, rolledBack: 0, aborted: 0 } };
    for (const [type, count] of this.#counts.all()) {
      if (type === 'rollout.created') counts.rollouts = count;
      else counts.ended[ROLLOUT_END_PHASES[type as RolloutEndType]] = count;
    }
    return counts;
  }

  /** Every rollout in creation order, with its end when it ended. */
  all(): RolloutLifecycle[] {
    const byId = new Map<string, RolloutLifecycle>();
    for (const [type, seq, rolloutId, position, at] of this.#all.iterate()) {
      if (type === 'rollout.created') {
        byId.set(rolloutId, { rolloutId, createdSeq: seq, createdAt: at, end: null });
        continue;
      }
      const lifecycle = byId.get(rolloutId);
      // The first end counts: a terminal state takes no decision that could end it again.
      if (lifecycle && lifecycle.end === null) lifecycle.end = endOf(type, seq, rolloutId, position, at);
    }
    return [...byId.values()];
  }

  /** Ended rollouts, most recently ended first: at most `limit` (≤ ENDED_PAGE_MAX) of those that ended before `beforeSeq`. */
  ended(beforeSeq: number, limit: number): RolloutEnd[] {
    const rows = this.#ended.all(beforeSeq, Math.max(0, Math.min(ENDED_PAGE_MAX, Math.floor(limit))));
    return rows.map(([type, seq, rolloutId, position, at]) => endOf(type, seq, rolloutId, position, at));
  }
}

function endOf(type: string, seq: number, rolloutId: string, position: number, at: number): RolloutEnd {
  const endType = type as RolloutEndType;
  return { rolloutId, type: endType, phase: ROLLOUT_END_PHASES[endType], position, at, seq };
}
