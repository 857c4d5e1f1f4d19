import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, decodeLatencyHistogram, encodeLatencyHistogram, latencyQuantileMs, recordLatencyMs } from '../histogram/index.js';
import type { RequestSample } from '../window.js';
import { SampleRecorder } from './SampleRecorder.js';
import { PENDING_LATENCIES_MAX } from './windowAccumulator.js';

const W = 5_000;

function sample(at: number, variant: 'baseline' | 'canary' = 'canary', latencyMs = 10, ok = true): RequestSample {
  return { variant, at, ok, latencyMs };
}

function recorderWith(rolloutId = 'r', windowMs = W, openWindowsMax?: number) {
  const recorder = new SampleRecorder(openWindowsMax === undefined ? {} : { openWindowsMax });
  recorder.open(rolloutId, windowMs);
  return recorder;
}

describe('SampleRecorder', () => {
  it('aggregates per variant into windows aligned to multiples of the window length', () => {
    const recorder = recorderWith();
    recorder.record('r', sample(10_001, 'canary', 12));
    recorder.record('r', sample(14_999, 'canary', 30, false));
    recorder.record('r', sample(12_000, 'baseline', 5));
    recorder.record('r', sample(15_000, 'canary', 7));
    expect(recorder.closeDue(14_999)).toEqual([]);
    const [closed, ...rest] = recorder.closeDue(15_000);
    expect(rest).toEqual([]);
    expect(closed!.rolloutId).toBe('r');
    expect(closed!.window).toMatchObject({ windowStartAt: 10_000, windowEndAt: 15_000, canary: { count: 2, errors: 1 }, baseline: { count: 1, errors: 0 } });
    const canaryLatency = decodeLatencyHistogram(closed!.window.canary.latencyHistogram);
    expect(latencyQuantileMs(canaryLatency, 1)).toBeCloseTo(30, 1);
    expect(recorder.closeDue(20_000).map((c) => c.window.canary.count)).toEqual([1]);
  });

  it('gives the same histogram whether latencies stayed raw or spilled into a histogram', () => {
    for (const count of [1, 64, 65, PENDING_LATENCIES_MAX, PENDING_LATENCIES_MAX + 1, 20_000]) {
      const recorder = recorderWith();
      const direct = createLatencyHistogram();
      for (let i = 0; i < count; i++) {
        const latency = 0.5 + ((i * 7919) % 3000) / 7;
        recorder.record('r', sample(1, 'canary', latency));
        recordLatencyMs(direct, latency);
      }
      const recorded = decodeLatencyHistogram(recorder.closeDue(W)[0]!.window.canary.latencyHistogram);
      expect(recorded.totalCount).toBe(count);
      for (const q of [0, 0.5, 0.99, 1]) expect(latencyQuantileMs(recorded, q)).toBe(latencyQuantileMs(direct, q));
    }
  });

  it('encodes an idle variant as count 0 and an empty histogram', () => {
    const recorder = recorderWith();
    recorder.record('r', sample(1, 'canary'));
    expect(recorder.closeDue(W)[0]!.window.baseline).toEqual({ count: 0, errors: 0, latencyHistogram: '' });
  });

  it('returns due windows of every rollout, oldest first, and nothing twice', () => {
    const recorder = recorderWith('a');
    recorder.open('b', 1_000);
    recorder.record('a', sample(6_000));
    recorder.record('a', sample(1_000));
    recorder.record('b', sample(2_500));
    const closed = recorder.closeDue(10_000);
    expect(closed.map((c) => [c.rolloutId, c.window.windowStartAt])).toEqual([
      ['a', 0],
      ['a', 5_000],
      ['b', 2_000],
    ]);
    expect(recorder.closeDue(10_000)).toEqual([]);
  });

  it('merges pre-aggregated windows with per-request samples', () => {
    const recorder = recorderWith();
    const histogram = createLatencyHistogram();
    for (const latencyMs of [100, 200, 300]) recordLatencyMs(histogram, latencyMs);
    recorder.record('r', sample(5_001, 'baseline', 1));
    recorder.recordAggregate('r', { variant: 'baseline', windowStartAt: 5_000, count: 3, errors: 1, latencyHistogram: encodeLatencyHistogram(histogram) });
    recorder.recordAggregate('r', { variant: 'canary', windowStartAt: 5_000, count: 10, errors: 0 });
    const window = recorder.closeDue(10_000)[0]!.window;
    expect(window.baseline).toMatchObject({ count: 4, errors: 1 });
    expect(decodeLatencyHistogram(window.baseline.latencyHistogram).totalCount).toBe(4);
    expect(window.canary).toEqual({ count: 10, errors: 0, latencyHistogram: '' });
  });

  it.each([
    [{ variant: 'blue', at: 1, ok: true, latencyMs: 1 }, 'variant'],
    [{ variant: 'canary', at: 1, ok: true, latencyMs: -1 }, 'latencyMs'],
    [{ variant: 'canary', at: 1, ok: true, latencyMs: Number.NaN }, 'latencyMs'],
    [{ variant: 'canary', at: Number.NaN, ok: true, latencyMs: 1 }, 'at'],
    [{ variant: 'canary', at: 1, ok: 'yes', latencyMs: 1 }, 'ok'],
  ])('refuses an invalid sample %j naming the field', (bad, field) => {
    const recorder = recorderWith();
    expect(() => recorder.record('r', bad as RequestSample)).toThrow(expect.objectContaining({ code: 'SLUICE_E_SAMPLE_INVALID' }));
    expect(() => recorder.record('r', bad as RequestSample)).toThrow(new RegExp(`rollout "r" sample: ${field}:`));
  });

  it.each([
    [{ variant: 'canary', windowStartAt: 1_234, count: 1, errors: 0 }, 'windowStartAt'],
    [{ variant: 'canary', windowStartAt: 0, count: 1, errors: 2 }, 'errors'],
    [{ variant: 'canary', windowStartAt: 0, count: -1, errors: 0 }, 'count'],
    [{ variant: 'canary', windowStartAt: 0, count: 1, errors: 0, latencyHistogram: '???' }, 'latencyHistogram'],
  ])('refuses an invalid aggregate %j naming the field', (bad, field) => {
    const recorder = recorderWith();
    expect(() => recorder.recordAggregate('r', bad as never)).toThrow(expect.objectContaining({ code: 'SLUICE_E_SAMPLE_INVALID' }));
    if (field !== 'latencyHistogram') expect(() => recorder.recordAggregate('r', bad as never)).toThrow(new RegExp(field));
  });

  it('refuses an aggregate whose histogram does not hold count values', () => {
    const recorder = recorderWith();
    const histogram = createLatencyHistogram();
    recordLatencyMs(histogram, 5);
    expect(() => recorder.recordAggregate('r', { variant: 'canary', windowStartAt: 0, count: 2, errors: 0, latencyHistogram: encodeLatencyHistogram(histogram) })).toThrow(
      /latencyHistogram: holds 1 values but count is 2/,
    );
  });

  it('refuses samples of a rollout it does not record', () => {
    expect(() => new SampleRecorder().record('nobody', sample(1))).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROLLOUT_NOT_FOUND' }));
  });

  it('drops and counts samples dated in a window already closed', () => {
    const recorder = recorderWith();
    recorder.record('r', sample(1_000));
    recorder.closeDue(5_000);
    expect(recorder.record('r', sample(4_999))).toBe(false);
    expect(recorder.record('r', sample(5_000))).toBe(true);
    expect(recorder.dropped('r')).toEqual({ late: 1, overflow: 0 });
  });

  it('treats flushed windows as closed', () => {
    const recorder = recorderWith();
    recorder.record('r', sample(1_000));
    expect(recorder.flush('r')).toHaveLength(1);
    expect(recorder.record('r', sample(2_000))).toBe(false);
    expect(recorder.flush('r')).toEqual([]);
  });

  it('bounds open windows per rollout and counts overflow', () => {
    const recorder = recorderWith('r', W, 3);
    for (let i = 0; i < 10; i++) recorder.record('r', sample(i * W));
    expect(recorder.openWindowCount()).toBe(3);
    expect(recorder.dropped('r')).toEqual({ late: 0, overflow: 7 });
    // Samples for windows already open are still accepted.
    expect(recorder.record('r', sample(W + 1))).toBe(true);
  });

  it('never holds more than the bound, whatever the sample times (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.boolean()), { maxLength: 300 }), (steps) => {
        const recorder = recorderWith('r', 1_000, 4);
        let accepted = 0;
        let emitted = 0;
        let now = 0;
        for (const [at, tick] of steps) {
          if (tick) {
            now = Math.max(now, at);
            emitted += recorder.closeDue(now).reduce((n, c) => n + c.window.canary.count, 0);
          } else if (recorder.record('r', sample(at))) accepted++;
          expect(recorder.openWindowCount()).toBeLessThanOrEqual(4);
        }
        emitted += recorder.flush('r').reduce((n, c) => n + c.window.canary.count, 0);
        const { late, overflow } = recorder.dropped('r');
        expect(emitted).toBe(accepted);
        expect(accepted + late + overflow).toBe(steps.filter(([, tick]) => !tick).length);
      }),
    );
  });

  it('forgets a dropped rollout and refuses to reopen one with another window length', () => {
    const recorder = recorderWith();
    expect(() => recorder.open('r', 1_000)).toThrow(/already recording with 5000 ms windows/);
    recorder.open('r', W);
    recorder.record('r', sample(1));
    recorder.drop('r');
    expect(recorder.isOpen('r')).toBe(false);
    expect(recorder.closeDue(1e9)).toEqual([]);
  });
});
