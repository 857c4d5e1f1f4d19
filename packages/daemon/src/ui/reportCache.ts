import type { EventLog } from '@sluice/core';
import { buildReportData } from '../report/reportData.js';
import type { ReportData } from '../report/reportTypes.js';

/** Rollouts whose last report is kept; the least recently asked for is dropped first. */
export const REPORT_CACHE_ENTRIES_MAX = 16;
/** Shortest time between two rebuilds of one rollout's report. */
export const REPORT_REBUILD_INTERVAL_MS_MIN = 2_000;
/**
 * A rebuild also waits this many times as long as the last one took: the report replays the whole rollout (≈ 1.3 s of
 * CPU for a 6-hour rollout on a small machine, docs/report.md), and the daemon's one thread must keep ingesting, so a dashboard left
 * open on a long rollout costs it at most about a tenth of its time.
 */
export const REPORT_REBUILD_COST_FACTOR = 10;

export interface ReportAnswer {
  report: ReportData;
  /** The rollout's log position the report was built up to (exclusive): events from here on are not in it yet. */
  asOfPosition: number;
  /** True when newer events exist but the report was rebuilt too recently; ask again after `retryAfterMs`. */
  stale: boolean;
  retryAfterMs: number;
}

interface Entry {
  position: number;
  report: ReportData;
  builtAt: number;
  buildMs: number;
}

/**
 * The dashboard's report of each rollout, rebuilt when the log has grown and the last rebuild is old enough (see the
 * constants above). Built inside one read snapshot of the daemon's log.
 */
export class ReportCache {
  readonly #entries = new Map<string, Entry>();
  readonly #log: EventLog;
  readonly #now: () => number;

  constructor(log: EventLog, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  get(rolloutId: string): ReportAnswer {
    const position = this.#log.nextPosition(rolloutId);
    const now = this.#now();
    const cached = this.#entries.get(rolloutId);
    if (cached) {
      this.#entries.delete(rolloutId);
      this.#entries.set(rolloutId, cached);
      const waitMs = cached.builtAt + intervalOf(cached) - now;
      if (cached.position === position) return { report: cached.report, asOfPosition: position, stale: false, retryAfterMs: 0 };
      if (waitMs > 0) return { report: cached.report, asOfPosition: cached.position, stale: true, retryAfterMs: waitMs };
    }
    const started = performance.now();
    const entry = this.#log.snapshot(() => ({ position: this.#log.nextPosition(rolloutId), report: buildReportData(this.#log, rolloutId) }));
    this.#entries.set(rolloutId, { ...entry, builtAt: now, buildMs: performance.now() - started });
    while (this.#entries.size > REPORT_CACHE_ENTRIES_MAX) this.#entries.delete(this.#entries.keys().next().value!);
    return { report: entry.report, asOfPosition: entry.position, stale: false, retryAfterMs: 0 };
  }
}

function intervalOf(entry: Entry): number {
  return Math.max(REPORT_REBUILD_INTERVAL_MS_MIN, REPORT_REBUILD_COST_FACTOR * entry.buildMs);
}
