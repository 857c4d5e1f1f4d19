import type { SampleWindowData } from '@sluice/core';
import { PROMETHEUS_WINDOW_MS_MIN, type PrometheusSource } from './prometheusSource.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';

/**
 * Drives the Prometheus sources of many rollouts: for each rollout, once every window has closed and `queryDelayMs`
 * has passed, query it and hand the `samples.window` data to `onWindow` (or the typed error to `onError`).
 *
 * - Windows are aligned to multiples of the window length, like pushed samples (window.ts), so a pulled window and
 *   the daemon's own windows have the same boundaries.
 * - One query of a rollout at a time. A window that comes due while the previous one is still being queried is
 *   skipped (reported to `onError` with a SkippedWindow reason and counted): a missing window is no data, which
 *   holds the rollout, and the backlog can never grow.
 * - A failed window is not retried: its data would arrive late and out of order; the next window is queried on time.
 * - The sources bound their own queries (timeout, and a shared QueryLimiter across rollouts).
 */
export interface PolledWindow {
  windowStartAt: number;
  windowEndAt: number;
}

export interface PrometheusPollerOptions {
  onWindow(rolloutId: string, data: SampleWindowData, at: number): void;
  onError?(rolloutId: string, error: unknown, window: PolledWindow, at: number): void;
  timers?: Timers;
}

export interface PollConfig {
  source: PrometheusSource;
  windowMs: number;
  /** Default: the source's `queryDelay`. */
  queryDelayMs?: number;
}

/** The reason passed to `onError` for a window skipped because the previous query was still running. */
export class SkippedWindow {
  readonly reason = 'previous query still running';
}

interface PollState {
  rolloutId: string;
  config: Required<PollConfig>;
  /** End of the next window to query. */
  nextWindowEndAt: number;
  timer: TimerHandle | undefined;
  busy: boolean;
  stopped: boolean;
}


export class PrometheusPoller {
  private readonly timers: Timers;
  private readonly polls = new Map<string, PollState>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Windows skipped because the rollout's previous query was still running. */
  skippedCount = 0;

  constructor(private readonly options: PrometheusPollerOptions) {
    this.timers = options.timers ?? systemTimers;
  }

  /**
   * Starts polling a rollout from the first window that ends after now (windows already closed are not fetched: on a
   * restart the log already holds what was appended before). Starting a polled rollout again replaces its config.
   */
  start(rolloutId: string, config: PollConfig): void {
    // prometheusSourceOf refuses such specs at creation; this guards the timer loop against a programming error.
    if (!(Number.isInteger(config.windowMs) && config.windowMs >= PROMETHEUS_WINDOW_MS_MIN)) {
      throw new RangeError(`window must be an integer ≥ ${PROMETHEUS_WINDOW_MS_MIN} ms for the Prometheus source, got ${config.windowMs}`);
    }
    this.stop(rolloutId);
    const queryDelayMs = config.queryDelayMs ?? config.source.config.queryDelay;
    const now = this.timers.now();
    const state: PollState = {
      rolloutId,
      config: { source: config.source, windowMs: config.windowMs, queryDelayMs },
      nextWindowEndAt: (Math.floor(now / config.windowMs) + 1) * config.windowMs,
      timer: undefined,
      busy: false,
      stopped: false,
    };
    this.polls.set(rolloutId, state);
    this.schedule(state);
  }

  stop(rolloutId: string): void {
    const state = this.polls.get(rolloutId);
    if (!state) return;
    state.stopped = true;
    if (state.timer) this.timers.clearTimeout(state.timer);
    this.polls.delete(rolloutId);
  }

  isPolling(rolloutId: string): boolean {
    return this.polls.has(rolloutId);
  }

  /** Stops every rollout and waits for queries in flight to settle (their results are dropped). */
  async close(): Promise<void> {
    for (const rolloutId of [...this.polls.keys()]) this.stop(rolloutId);
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(state: PollState): void {
    const dueAt = state.nextWindowEndAt + state.config.queryDelayMs;
    state.timer = this.timers.setTimeout(() => this.due(state), dueAt - this.timers.now());
  }

  private due(state: PollState): void {
    if (state.stopped) return;
    const window = { windowStartAt: state.nextWindowEndAt - state.config.windowMs, windowEndAt: state.nextWindowEndAt };
    // Advance to the next window that has not come due yet (after a long pause of the process, skip the missed ones).
    const now = this.timers.now();
    state.nextWindowEndAt += state.config.windowMs;
    while (state.nextWindowEndAt + state.config.queryDelayMs <= now) {
      this.skip(state, { windowStartAt: state.nextWindowEndAt - state.config.windowMs, windowEndAt: state.nextWindowEndAt });
      state.nextWindowEndAt += state.config.windowMs;
    }
    this.schedule(state);
    if (state.busy) {
      this.skip(state, window);
      return;
    }
    state.busy = true;
    const run = this.query(state, window).finally(() => {
      state.busy = false;
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  private async query(state: PollState, window: PolledWindow): Promise<void> {
    let data: SampleWindowData;
    try {
      data = await state.config.source.queryWindow(window.windowStartAt, window.windowEndAt);
    } catch (error) {
      if (!state.stopped) this.options.onError?.(state.rolloutId, error, window, this.timers.now());
      return;
    }
    if (!state.stopped) this.options.onWindow(state.rolloutId, data, this.timers.now());
  }

  private skip(state: PollState, window: PolledWindow): void {
    this.skippedCount++;
    this.options.onError?.(state.rolloutId, new SkippedWindow(), window, this.timers.now());
  }
}
