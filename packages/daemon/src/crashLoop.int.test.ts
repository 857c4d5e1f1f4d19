import { describe, expect, it } from 'vitest';
import { runCrashLoop } from './testing/crashLoop.js';

/**
 * A few cycles of the crash and fault loop (testing/crashLoop.ts) on every CI run: SIGKILL of the real daemon at random
 * points under load, rollouts ending by rollback and by completion, then every acknowledged sample counted once, the
 * log and journal verify, replay reproduces. The documented run is 100 cycles (scripts/crash-loop.sh). The seed is in
 * the failure message, so a failure can be repeated with `--seed`.
 */
describe('crash and fault loop', () => {
  it('loses no acknowledged sample and keeps a log that verifies and replays, across SIGKILLs at random points', async () => {
    const seed = Date.now() % 1_000_000;
    const result = await runCrashLoop({ cycles: 3, seed });
    const context = `seed ${seed}: ${JSON.stringify(result)}`;
    expect(result.cycles, context).toBe(3);
    expect(result.samplesAcknowledged, context).toBeGreaterThan(0);
    // Every acknowledged sample in exactly one window; beyond them only samples whose answer the kill cut.
    expect(result.mismatches, context).toEqual([]);
    expect(result.samplesLost, context).toBe(0);
    expect(result.samplesInWindows, context).toBeGreaterThanOrEqual(result.samplesAcknowledged);
    expect(result.samplesInWindows, context).toBeLessThanOrEqual(result.samplesAcknowledged + result.samplesUnanswered);
    expect(result.unexpectedOutcomes, context).toEqual([]);
    expect(result.rolledBack, context).toBeGreaterThan(0);
    expect(result.completed, context).toBeGreaterThan(0);
    expect(result.verifyOk, context).toBe(true);
    expect(result.journalOk, context).toBe(true);
    expect(result.replayDivergences, context).toBe(0);
  }, 240_000);
});
