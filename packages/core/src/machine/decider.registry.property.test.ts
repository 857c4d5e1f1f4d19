import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPERATOR_COMMANDS, type NewInputEvent } from '../events/eventTypes.js';
import { createLatencyHistogram, encodeLatencyHistogram, recordLatencyMs } from '../histogram/index.js';
import { replay } from '../replay/replay.js';
import { RolloutSession } from '../rollout/RolloutSession.js';
import { validateSpec } from '../spec/parseSpec.js';
import { input, SECOND, T0 } from './testing/fixtures.js';
import { MemoryLog } from './testing/memoryLog.js';

/**
 * The same replay property as decider.property.test.ts, with the judge's real evaluators (every gate kind) and real
 * HdrHistogram windows: every decision survives the log's canonical JSON, and replay and load reproduce the run.
 */
const spec = validateSpec({
  id: 'judge-prop',
  service: 'svc',
  baseline: 'v1',
  candidate: 'v2',
  stages: [
    {
      name: 'canary',
      weightPercent: 10,
      durationMin: '1m',
      samplesMin: 100,
      gates: [
        { kind: 'errorRate', maxPercent: 5 },
        { kind: 'latency', maxMs: 300 },
        { kind: 'compareErrorRate' },
        { kind: 'compareLatency' },
        { kind: 'sampleRatio' },
        { kind: 'health' },
        { kind: 'metric', metric: 'cpu', max: 90 },
      ],
    },
    { name: 'ramp', weightPercent: 50, durationMin: '1m', samplesMin: 100, gates: [{ kind: 'flagger' }, { kind: 'argo' }] },
    { name: 'rollout', weightPercent: 100, durationMin: '1m', samplesMin: 100, onFail: 'hold', gates: [{ kind: 'errorRate', maxPercent: 5 }] },
  ],
});

function variant(count: number, errorPercent: number, latencyMs: number) {
  const histogram = createLatencyHistogram();
  if (count > 0) recordLatencyMs(histogram, latencyMs, count);
  return { count, errors: Math.round((count * errorPercent) / 100), latencyHistogram: encodeLatencyHistogram(histogram) };
}
const VARIANTS = [variant(0, 0, 1), variant(20, 0, 40), variant(100, 1, 45), variant(100, 30, 400), variant(500, 0.5, 40), variant(50, 100, 2000)];

type Action =
  | { kind: 'window'; dt: number; canary: number; baseline: number }
  | { kind: 'health'; dt: number; ok: boolean }
  | { kind: 'metric'; dt: number; value: number }
  | { kind: 'command'; dt: number; command: (typeof OPERATOR_COMMANDS)[number] }
  | { kind: 'apply' | 'tick'; dt: number };

const dt = fc.integer({ min: 0, max: 30 });
const index = fc.integer({ min: 0, max: VARIANTS.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('window' as const), dt, canary: index, baseline: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), dt, ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('metric' as const), dt, value: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('command' as const), dt, command: fc.constantFrom(...OPERATOR_COMMANDS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('apply' as const, 'tick' as const), dt }) },
);

describe('with the judge registry', () => {
  it('every decision is storable, and replay and load reproduce the run', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 150, size: 'max' }), (actions) => {
        const log = new MemoryLog();
        const session = RolloutSession.create(log, spec, T0);
        let at = T0;
        for (const a of actions) {
          at += a.dt * SECOND;
          const view = session.view;
          let next: NewInputEvent;
          if (a.kind === 'window') {
            next = { type: 'samples.window', at, data: { windowStartAt: at - 5_000, windowEndAt: at, canary: VARIANTS[a.canary]!, baseline: VARIANTS[a.baseline]! } };
          } else if (a.kind === 'health') next = input.health(a.ok, at);
          else if (a.kind === 'metric') next = input.metric('cpu', a.value, at);
          else if (a.kind === 'command') next = input.command(a.command, at);
          else if (a.kind === 'apply') next = input.applied(view.desiredGeneration, view.desiredWeightPercent, at);
          else next = input.tick(at);
          session.ingest(next);
          expect(session.view.desiredWeightPercent).toBeGreaterThanOrEqual(0);
          expect(session.view.desiredWeightPercent).toBeLessThanOrEqual(100);
        }
        const result = replay(log, spec.id);
        expect(result.divergences).toEqual([]);
        expect(result.view).toEqual(session.view);
        expect(RolloutSession.load(log, spec.id).view).toEqual(session.view);
      }),
      { numRuns: 60 },
    );
  });
});
