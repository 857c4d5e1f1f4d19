import type { SampleWindowData } from '@sluice/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { PrometheusNoDataError } from './prometheusErrors.js';
import { PrometheusPoller, SkippedWindow, type PolledWindow } from './prometheusPoller.js';
import type { PrometheusSource } from './prometheusSource.js';
import { ManualTimers } from './timers.js';

interface Call {
  window: PolledWindow;
  resolve(data: SampleWindowData): void;
  reject(error: unknown): void;
}

/** A source whose answers the test gives by hand. */
function manualSource(): { source: PrometheusSource; calls: Call[] } {
  const calls: Call[] = [];
  const source = {
    config: { queryDelay: 2_000 },
    renderedQueries: () => ({ requests: '', errors: '', latencyBuckets: '' }),
    queryWindow: (windowStartAt: number, windowEndAt: number) =>
      new Promise<SampleWindowData>((resolve, reject) => calls.push({ window: { windowStartAt, windowEndAt }, resolve, reject })),
  } as unknown as PrometheusSource;
  return { source, calls };
}

const data = (window: PolledWindow): SampleWindowData => ({
  ...window,
  baseline: { count: 1, errors: 0, latencyHistogram: '' },
  canary: { count: 1, errors: 0, latencyHistogram: '' },
});

describe('PrometheusPoller', () => {
  let timers: ManualTimers;
  let windows: Array<{ rolloutId: string; data: SampleWindowData; at: number }>;
  let errors: Array<{ rolloutId: string; error: unknown; window: PolledWindow }>;
  let poller: PrometheusPoller;
  const t0 = 1_700_000_000_000; // a multiple of 5 s: the ManualTimers start

  beforeEach(() => {
    timers = new ManualTimers(t0 + 1_000);
    windows = [];
    errors = [];
    poller = new PrometheusPoller({
      timers,
      onWindow: (rolloutId, d, at) => windows.push({ rolloutId, data: d, at }),
      onError: (rolloutId, error, window) => errors.push({ rolloutId, error, window }),
    });
  });

  it('queries each aligned window once it closed and the query delay passed', async () => {
    const { source, calls } = manualSource();
    poller.start('r1', { source, windowMs: 5_000 });
    await timers.advanceBy(5_999); // t0 + 6.999 s: window [t0, t0+5s) is due at t0 + 7 s
    expect(calls).toHaveLength(0);
    await timers.advanceBy(1);
    expect(calls.map((c) => c.window)).toEqual([{ windowStartAt: t0, windowEndAt: t0 + 5_000 }]);
    calls[0]!.resolve(data(calls[0]!.window));
    await timers.advanceBy(0);
    expect(windows).toMatchObject([{ rolloutId: 'r1', data: { windowStartAt: t0 }, at: t0 + 7_000 }]);
    await timers.advanceBy(5_000);
    expect(calls[1]?.window).toEqual({ windowStartAt: t0 + 5_000, windowEndAt: t0 + 10_000 });
  });

  it('reports a failed window and skips one that comes due while a query is still running', async () => {
    const { source, calls } = manualSource();
    poller.start('r1', { source, windowMs: 5_000, queryDelayMs: 0 });
    await timers.advanceBy(4_000); // first window due at t0 + 5 s
    await timers.advanceBy(5_000); // second due while the first still runs
    expect(calls).toHaveLength(1);
    expect(errors).toMatchObject([{ rolloutId: 'r1', window: { windowStartAt: t0 + 5_000 } }]);
    expect(errors[0]?.error).toBeInstanceOf(SkippedWindow);
    calls[0]!.reject(new PrometheusNoDataError('queries.requests', 'canary', 'q', t0, t0 + 5_000));
    await timers.advanceBy(0);
    expect(errors[1]?.error).toBeInstanceOf(PrometheusNoDataError);
    await timers.advanceBy(5_000);
    expect(calls[1]?.window.windowStartAt).toBe(t0 + 10_000);
    expect(poller.skippedCount).toBe(1);
  });

  it('stops: no more queries, a result in flight is dropped', async () => {
    const { source, calls } = manualSource();
    poller.start('r1', { source, windowMs: 5_000, queryDelayMs: 0 });
    await timers.advanceBy(4_000);
    poller.stop('r1');
    calls[0]!.resolve(data(calls[0]!.window));
    await timers.advanceBy(30_000);
    expect(windows).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(timers.pendingCount).toBe(0);
  });
});
