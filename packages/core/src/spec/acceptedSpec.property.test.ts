import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../errors.js';
import { OPERATOR_COMMANDS, type NewInputEvent } from '../events/eventTypes.js';
import { createLatencyHistogram, encodeLatencyHistogram, recordLatencyMs, replay, RolloutSession } from '../index.js';
import { input, T0 } from '../machine/testing/fixtures.js';
import { MemoryLog } from '../machine/testing/memoryLog.js';
import { DURATION_MS_MAX, WINDOW_MS_MAX, WINDOW_MS_MIN } from './durationSchema.js';
import { validateSpec } from './parseSpec.js';

/**
 * "A spec the daemon accepts is a spec it can always recover." Specs are drawn at and around the edge of every stated
 * range (the ends are where window: 0 and an unbounded threshold hid); whatever validateSpec accepts must be storable,
 * fold through the machine over its whole life, load back from the log and replay without a divergence.
 */
const DAY = 86_400_000;
/** An integer in [min, max], often one of its ends, and now and then just outside them (which must be refused). */
const edgy = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constantFrom(min, max), weight: 20 }, { arbitrary: fc.integer({ min, max }), weight: 30 }, { arbitrary: fc.constantFrom(min - 1, max + 1), weight: 1 });
const edgyReal = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constantFrom(min, max, min + Number.EPSILON, max * (1 - Number.EPSILON)), weight: 2 }, { arbitrary: fc.double({ min, max, noNaN: true }), weight: 3 });

const gate: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ kind: fc.constant('errorRate'), maxPercent: edgyReal(0, 100), sustainWindows: edgy(1, 1_000), samplesMin: edgy(0, 1_000_000_000), confidence: fc.constantFrom(0, 0.5, 0.99, 0.999999) }),
  fc.record({ kind: fc.constant('latency'), quantile: fc.constantFrom(0.5, 0.99, 0.999999), maxMs: edgyReal(0.001, 3_600_000), sustainWindows: edgy(1, 1_000) }),
  fc.record({ kind: fc.constant('metric'), metric: fc.constant('cpu'), max: fc.oneof(fc.constantFrom(-0, 0, Number.MIN_VALUE), fc.double({ min: -1e300, max: 1e300, noNaN: true })) }),
  fc.record({ kind: fc.constant('compareErrorRate'), alpha: fc.constantFrom(1e-12, 0.05, 0.4999), tolerance: edgyReal(0, 10) }),
  fc.record({ kind: fc.constant('compareLatency'), alpha: fc.constantFrom(1e-12, 0.05), thresholdMs: edgyReal(0.001, 3_600_000) }),
  fc.record({ kind: fc.constant('sampleRatio'), alpha: fc.constantFrom(1e-12, 0.001, 0.4999) }),
  fc.record({ kind: fc.constant('health'), failuresMax: edgy(1, 1_000) }),
  fc.record({ kind: fc.constant('flagger'), interval: edgy(1_000, 3_600_000), threshold: edgy(1, 1_000), latencyMsP99Max: edgyReal(0.001, 3_600_000) }),
  fc.record({ kind: fc.constant('argo'), interval: edgy(1_000, 3_600_000), failureLimit: edgy(0, 1_000) }),
);

const stage = (name: string, weightPercent: number) =>
  fc.record({
    name: fc.constant(name),
    weightPercent: fc.constant(weightPercent),
    durationMin: edgy(0, 30 * DAY),
    samplesMin: edgy(0, 1_000_000_000),
    gates: fc.array(gate, { maxLength: 3 }),
    onFail: fc.constantFrom('rollback', 'hold'),
    onMaxDuration: fc.oneof(fc.constant({ action: 'rollback' }), fc.record({ action: fc.constant('extend'), extendBy: edgy(1_000, 30 * DAY), extensionsMax: edgy(1, 100) })),
  });

const specInput = fc.record({
  id: fc.constant('edge'),
  service: fc.constant('svc'),
  baseline: fc.constant('v1'),
  candidate: fc.constant('v2'),
  window: edgy(WINDOW_MS_MIN, WINDOW_MS_MAX),
  stages: fc.tuple(stage('canary', 0.01), stage('ramp', 50), stage('rollout', 100)),
  rollback: fc.oneof(fc.constant({ mode: 'immediate' }), fc.record({ mode: fc.constant('gradual'), stepsPercent: fc.constant([50, 10]), stepDuration: edgy(0, DAY) })),
});

function variant(count: number, errors: number, latencyMs: number) {
  const histogram = createLatencyHistogram();
  if (count > 0) recordLatencyMs(histogram, latencyMs, count);
  return { count, errors, latencyHistogram: encodeLatencyHistogram(histogram) };
}
const HEALTHY = variant(200, 1, 40);
const FAULTY = variant(200, 150, 3_000_000);

describe('every spec the schema accepts', () => {
  it('is stored, folds through its whole life, loads back and replays the same', () => {
    let accepted = 0;
    fc.assert(
      fc.property(specInput, fc.array(fc.tuple(fc.nat(4), fc.boolean()), { minLength: 1, maxLength: 30 }), (raw, steps) => {
        let spec;
        try {
          spec = validateSpec(raw);
        } catch (error) {
          // A refusal is an answer too, as long as it names a field.
          expect(error).toBeInstanceOf(SpecValidationError);
          expect((error as SpecValidationError).issues.every((i) => i.path.length > 0)).toBe(true);
          return;
        }
        accepted++;
        for (const s of spec.stages) expect(s.durationMax).toBeLessThanOrEqual(DURATION_MS_MAX);
        const log = new MemoryLog();
        const session = RolloutSession.create(log, spec, T0);
        // Time jumps by windows and by whole stage durations, so the longest stages and the largest windows end too.
        let at = T0;
        for (const [kind, faulty] of steps) {
          const view = session.view;
          if (view.terminal) break;
          let next: NewInputEvent;
          if (kind === 0) {
            const start = Math.floor(at / spec.window) * spec.window;
            at = start + spec.window;
            next = { type: 'samples.window', at, data: { windowStartAt: start, windowEndAt: at, canary: faulty ? FAULTY : HEALTHY, baseline: HEALTHY } };
          } else if (kind === 1) next = input.applied(view.desiredGeneration, view.desiredWeightPercent, (at += 1_000));
          else if (kind === 2) next = input.tick((at += (spec.stages[view.stageIndex ?? 0]?.durationMax ?? DAY) + 1));
          else if (kind === 3) next = input.command(OPERATOR_COMMANDS[(steps.length + at) % OPERATOR_COMMANDS.length]!, (at += 1));
          else next = input.health(!faulty, (at += 1_000));
          session.ingest(next);
          expect(session.view.desiredWeightPercent).toBeGreaterThanOrEqual(0);
          expect(session.view.desiredWeightPercent).toBeLessThanOrEqual(100);
        }
        expect(RolloutSession.load(log, spec.id).view).toEqual(session.view);
        expect(replay(log, spec.id).divergences).toEqual([]);
      }),
      { numRuns: Number(process.env.SLUICE_PROPERTY_RUNS ?? 150) },
    );
    // The generator is not so adversarial that nothing gets through.
    expect(accepted).toBeGreaterThan(10);
  });
});
