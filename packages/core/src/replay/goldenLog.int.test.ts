import { describe, expect, it } from 'vitest';
import { DECISION_TYPES, INPUT_TYPES } from '../events/eventTypes.js';
import { verifyLog } from '../log/verify.js';
import { expectEveryDecisionReproduced, useGoldenLog } from './goldenLog.fixture.js';
import { replay } from './replay.js';

/**
 * The first golden log (goldenLog.fixture.ts): rollouts recorded on 2026-11-24 by an earlier build, covering every
 * phase, gate kind, command and rollback mode, every type at version 1 — every gate verdict in the log, compressed
 * window histograms. Its rows are loaded as they were written, and replay must reproduce every recorded decision
 * through today's upgraders: an old log must stay readable and re-judge the same. This file is frozen: it is never
 * re-recorded (logs of today's format have goldenLogV2.ndjson.gz).
 */

/** The event types of the build that recorded the file (all of them, at the time). */
const RECORDED_TYPES = [
  'rollout.created', 'samples.window', 'health.checked', 'metric.observed', 'command.issued', 'weight.applied', 'weight.applyFailed', 'tick',
  'gate.evaluated', 'stage.entered', 'stage.awaitingApproval', 'stage.extended', 'stage.held', 'weight.desired', 'rollback.started',
  'rollback.completed', 'paused', 'resumed', 'completed', 'aborted', 'command.rejected',
];

const { rows, rolloutIds, log: goldenLog } = useGoldenLog(new URL('./goldenLog.ndjson.gz', import.meta.url));

describe('the golden log recorded by an earlier build', () => {
  it('covers every ending, and its chain verifies', () => {
    expect(verifyLog(goldenLog()).ok).toBe(true);
    const outcomes = rolloutIds.map((id) => replay(goldenLog(), id).recordedOutcome.outcome);
    expect(new Set(outcomes)).toEqual(new Set(['rolledBack', 'completed', 'aborted']));
    const kinds = new Set(rows.filter((r) => r.type === 'gate.evaluated').map((r) => r.data['kind']));
    expect(kinds).toEqual(new Set(['errorRate', 'latency', 'compareErrorRate', 'compareLatency', 'sampleRatio', 'health', 'metric', 'flagger', 'argo']));
    // Every input and decision type there was when it was recorded appears, and each is still a type of this build.
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(RECORDED_TYPES));
    // Written before any type had a second version: read through today's upgraders.
    expect(new Set(rows.map((r) => r.version))).toEqual(new Set([1]));
    for (const type of RECORDED_TYPES) expect([...INPUT_TYPES, ...DECISION_TYPES]).toContain(type);
  });

  it.each(rolloutIds)('replay reproduces every recorded decision of %s', (rolloutId) => {
    expectEveryDecisionReproduced(goldenLog(), rows, rolloutId);
  });
});
