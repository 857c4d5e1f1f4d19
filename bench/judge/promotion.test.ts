import { describe, expect, it } from 'vitest';
import { minimumDurationMs, runHealthyRollout, templateSpec } from './promotion.js';

/**
 * The promotion harness's small version (the full grid is `bench/judge/promotionRun.ts`, docs/judge.md): the case the
 * issue reported — the default template, an A/A canary at 0.02% errors and 200 requests/s — completes on time now and
 * was rolled back for lack of proof before Judge II; a regressed canary is still rolled back by a failing gate.
 */
const cell = { errorRate: 0.0002, requestsPerSecond: 200 };
const BINS = 256;

describe('healthy releases through the whole default template', () => {
  const onTimeMs = minimumDurationMs(templateSpec()) * 1.1;

  it('complete within the minimum durations + 10% at 0.02% errors and 200 requests/s', () => {
    for (const seed of [1, 2]) {
      const run = runHealthyRollout(templateSpec('after'), cell, seed, BINS);
      expect(run).toMatchObject({ outcome: 'completed', rollbackReason: null });
      expect(run.endedAtMs).toBeLessThanOrEqual(onTimeMs);
    }
  });

  it('were rolled back at the canary stage’s durationMax for lack of proof before Judge II (same seed)', () => {
    const run = runHealthyRollout(templateSpec('before'), cell, 1, BINS);
    expect(run).toMatchObject({ outcome: 'rolledBack', rollbackReason: 'maxDuration', stage: 'canary', rollbackAtMs: 4 * 3_600_000 });
  });

  it('still roll a 10× error regression back through a failing gate in the canary stage', () => {
    const run = runHealthyRollout(templateSpec('after'), { errorRate: 0.01, requestsPerSecond: 200 }, 3, BINS, { name: '10× errors', errorMultiplier: 10, latencyMultiplier: 1 });
    expect(run).toMatchObject({ outcome: 'rolledBack', rollbackReason: 'gate', stage: 'canary' });
    expect(run.rollbackAtMs!).toBeLessThan(15 * 60_000);
  });
});
