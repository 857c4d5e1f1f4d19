import { EventLog } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { ROLLBACK_ID, simulateRollback } from '../report/testing/simulatedLog.js';
import { REPORT_REBUILD_INTERVAL_MS_MIN, ReportCache } from './reportCache.js';

describe('ReportCache', () => {
  it('rebuilds a report only when the log grew and the last rebuild is old enough, saying when it is stale', () => {
    const simulated = simulateRollback();
    const log = EventLog.open(simulated.file);
    try {
      let now = 1_000_000;
      const cache = new ReportCache(log, () => now);
      const first = cache.get(ROLLBACK_ID);
      expect(first.stale).toBe(false);
      expect(first.asOfPosition).toBe(log.nextPosition(ROLLBACK_ID));
      // Nothing new: the same report object, not a rebuild.
      expect(cache.get(ROLLBACK_ID).report).toBe(first.report);
      log.append(ROLLBACK_ID, log.nextPosition(ROLLBACK_ID), [{ type: 'tick', at: first.report.rollout.lastEventAt + 1, data: {} }]);
      const soon = cache.get(ROLLBACK_ID);
      expect(soon.stale).toBe(true);
      expect(soon.report).toBe(first.report);
      expect(soon.retryAfterMs).toBeGreaterThan(0);
      expect(soon.retryAfterMs).toBeLessThanOrEqual(Math.max(REPORT_REBUILD_INTERVAL_MS_MIN, 60_000));
      now += soon.retryAfterMs;
      const later = cache.get(ROLLBACK_ID);
      expect(later.stale).toBe(false);
      expect(later.asOfPosition).toBe(first.asOfPosition + 1);
      expect(later.report.rollout.events).toBe(first.report.rollout.events + 1);
    } finally {
      log.close();
      simulated.remove();
    }
  });
});
