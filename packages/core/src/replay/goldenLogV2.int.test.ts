import { describe, expect, it } from 'vitest';
import { DECISION_TYPES, EVENT_VERSIONS, INPUT_TYPES } from '../events/eventTypes.js';
import { verifyLog } from '../log/verify.js';
import { expectEveryDecisionReproduced, useGoldenLog } from './goldenLog.fixture.js';
import { replay } from './replay.js';

/**
 * The golden log of today's format (goldenLog.fixture.ts, scripts/recordGoldenLog.ts): rollout.created version 2 — the
 * log holds the verdicts that say something new — and samples.window version 2 — plain V2 histograms. Loaded as
 * written; replay must reproduce every recorded decision, verdicts included: a change that alters a verdict, an
 * evidence number, a summary, or which verdicts the log holds fails here. Re-record it only for an intended change of
 * decisions, in its own commit that says why; a new format gets a new file.
 */
const { rows, rolloutIds, log: goldenLog } = useGoldenLog(new URL('./goldenLogV2.ndjson.gz', import.meta.url));

describe('the golden log of today\'s format', () => {
  it('is of the format it names: versions, the verdict rule, plain window histograms', () => {
    expect(new Set(rows.filter((r) => r.type === 'rollout.created').map((r) => `${r.version} ${String(r.data['verdicts'])}`))).toEqual(new Set(['2 new']));
    expect(new Set(rows.filter((r) => r.type === 'samples.window').map((r) => r.version))).toEqual(new Set([2]));
    const histograms = rows.flatMap((r) => (r.type === 'samples.window' ? [(r.data['baseline'] as { latencyHistogram: string }).latencyHistogram] : [])).filter((h) => h !== '');
    expect(histograms.length).toBeGreaterThan(100);
    for (const histogram of histograms) expect(Buffer.from(histogram, 'base64').readInt32BE(0)).toBe(0x1c849313);
  });

  it('covers every ending, gate kind, input and decision type, and its chain verifies', () => {
    expect(verifyLog(goldenLog()).ok).toBe(true);
    const outcomes = rolloutIds.map((id) => replay(goldenLog(), id).recordedOutcome.outcome);
    expect(new Set(outcomes)).toEqual(new Set(['rolledBack', 'completed', 'aborted']));
    const kinds = new Set(rows.filter((r) => r.type === 'gate.evaluated').map((r) => r.data['kind']));
    expect(kinds).toEqual(new Set(['errorRate', 'latency', 'compareErrorRate', 'compareLatency', 'sampleRatio', 'health', 'metric', 'flagger', 'argo']));
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set([...INPUT_TYPES, ...DECISION_TYPES]));
    // Recorded with this format's versions; if a type moves on, this file stays as it is and a new one is recorded.
    for (const row of rows) expect(row.version).toBeLessThanOrEqual(EVENT_VERSIONS[row.type as keyof typeof EVENT_VERSIONS]);
  });

  it.each(rolloutIds)('replay reproduces every recorded decision of %s', (rolloutId) => {
    expectEveryDecisionReproduced(goldenLog(), rows, rolloutId);
  });

  it('holds far fewer verdicts than the gates computed, which replay recomputes', () => {
    let computed = 0;
    for (const id of rolloutIds) computed += replay(goldenLog(), id, { everyVerdict: true }).decisions.filter((d) => d.type === 'gate.evaluated').length;
    const recorded = rows.filter((r) => r.type === 'gate.evaluated').length;
    expect(recorded).toBeLessThan(computed / 3);
  });
});
