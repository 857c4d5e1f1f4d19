import type { SampleWindowData } from '@sluice/core';
import type { Logger } from 'pino';
import type { IngestJournal } from '../ingest/IngestJournal.js';
import type { IngestPipeline } from '../ingest/IngestPipeline.js';
import type { Reconciler } from './Reconciler.js';
import type { RolloutRuntime, RuntimeInput } from './RolloutRuntime.js';

/** What the scheduler needs from the sample recorder (core's SampleRecorder). */
export interface WindowSource {
  closeDue(at: number): { rolloutId: string; window: SampleWindowData }[];
}

export interface SchedulerOptions {
  tickMs: number;
  /** Samples may arrive this long after their window ended before it is closed. */
  windowGraceMs: number;
  now(): number;
  onTick?(stats: { windows: number; inputs: number; durationMs: number }): void;
}

/**
 * Drives every rollout on one timer (every tickMs, and at each moment a window becomes closable): each tick commits
 * pending sample batches, closes due windows, feeds them and a tick to every active rollout in one durable commit (so
 * durations and timeouts advance even without traffic), then steps the reconciler. All of it is synchronous and bounded by the number of rollouts; adapter calls and sources are
 * asynchronous and bounded by their own timeouts, so a slow adapter never delays another rollout's judgment.
 */
export class Scheduler {
  readonly #runtime: RolloutRuntime;
  readonly #windows: WindowSource;
  readonly #pipeline: IngestPipeline;
  readonly #journal: IngestJournal;
  readonly #reconciler: Reconciler;
  readonly #options: SchedulerOptions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closedBeforeAt = 0;

  constructor(
    parts: { runtime: RolloutRuntime; windows: WindowSource; pipeline: IngestPipeline; journal: IngestJournal; reconciler: Reconciler },
    options: SchedulerOptions,
    logger: Logger,
  ) {
    this.#runtime = parts.runtime;
    this.#windows = parts.windows;
    this.#pipeline = parts.pipeline;
    this.#journal = parts.journal;
    this.#reconciler = parts.reconciler;
    this.#options = options;
    this.#logger = logger;
    // Windows that ended before the daemon started are closed by definition: a late sample for one must not reopen
    // a window the log may already hold.
    this.#closedBeforeAt = options.now() - options.windowGraceMs;
  }

  /** Windows ending at or before this time are closed; the ingest pipeline refuses samples for them as late. */
  get closedBeforeAt(): number {
    return this.#closedBeforeAt;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleNext();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The next round runs after `tickMs`, or earlier at the moment the next window becomes closable (its end plus the
   * grace period): windows are aligned to multiples of their length, so that moment is known, and closing right then
   * takes the tick period out of the window-close-to-decision latency.
   */
  #scheduleNext(): void {
    if (!this.#running) return;
    const now = this.#options.now();
    let next = now + this.#options.tickMs;
    const lengths = new Set<number>();
    for (const entry of this.#runtime.entries()) if (!entry.session.view.terminal) lengths.add(entry.spec.window);
    const grace = this.#options.windowGraceMs;
    for (const windowMs of lengths) {
      const closable = (Math.floor((now - grace) / windowMs) + 1) * windowMs + grace + 1;
      if (closable < next) next = closable;
    }
    this.#timer = setTimeout(() => {
      this.tick();
      this.#scheduleNext();
    }, Math.max(0, next - now));
  }

  /**
   * Closes every window ending at or before `closeAt`, appends them (and, with `ticks`, a tick to every active
   * rollout) in one durable commit, then discards their journal rows.
   */
  closeWindows(closeAt: number, now: number, ticks = false): { windows: number; inputs: number } {
    const closed = this.#windows.closeDue(closeAt);
    const inputs: RuntimeInput[] = [];
    for (const { rolloutId, window } of closed) {
      const entry = this.#runtime.get(rolloutId);
      if (!entry || entry.session.view.terminal) continue;
      inputs.push({ rolloutId, input: { type: 'samples.window', at: now, data: window } });
    }
    if (ticks) {
      // A window input carries the same time as the tick would, so a rollout that got one needs no tick this round.
      const timed = new Set(inputs.map((i) => i.rolloutId));
      for (const entry of this.#runtime.entries()) {
        if (!timed.has(entry.id) && !entry.session.view.terminal) inputs.push({ rolloutId: entry.id, input: { type: 'tick', at: now, data: {} } });
      }
    }
    const failed = new Set<string>();
    const appended = this.#runtime.ingestMany(inputs, failed);
    const logged: { rolloutId: string; windowStartAt: number }[] = [];
    for (const { rolloutId, window } of closed) {
      // Only windows now in the log leave the journal, exactly those: a failed append keeps its samples for the next
      // start, also once a later window of the rollout is logged. When one input of a rollout failed, which of its
      // windows did is not known, so all of them stay (recovery drops the rows of windows the log holds).
      if (appended.has(rolloutId) && !failed.has(rolloutId)) logged.push({ rolloutId, windowStartAt: window.windowStartAt });
    }
    this.#journal.discardExactWindows(logged);
    return { windows: closed.length, inputs: inputs.length };
  }

  /** One scheduling round (public so tests and benchmarks can drive it). */
  tick(): void {
    const started = performance.now();
    const now = this.#options.now();
    try {
      // Batches already received are recorded before their windows can close, rather than refused as late.
      this.#pipeline.flush();
      const closeAt = now - this.#options.windowGraceMs;
      this.#closedBeforeAt = Math.max(this.#closedBeforeAt, closeAt);
      const { windows, inputs } = this.closeWindows(closeAt, now, true);
      this.#reconciler.tick();
      this.#options.onTick?.({ windows, inputs, durationMs: performance.now() - started });
    } catch (error) {
      this.#logger.error({ err: error }, 'scheduler tick failed; the next tick retries');
    }
  }
}
