import { RolloutNotFoundError, SluiceError } from '../errors.js';
import { decodeLatencyHistogram, latencyMsToUs } from '../histogram/index.js';
import type { RequestSample, SampleWindowData } from '../window.js';
import { checkAggregateSample, checkRequestSample, sampleInvalid, type AggregateSample } from './sampleChecks.js';
import { histogramOf, newWindowAccumulator, recordLatencyUs, toSampleWindowData, variantOf, type WindowAccumulator } from './windowAccumulator.js';

/** Open windows a rollout may hold at once (see SampleRecorder). */
export const OPEN_WINDOWS_MAX = 4;

export interface SampleRecorderOptions {
  /** Open windows per rollout; default OPEN_WINDOWS_MAX. */
  openWindowsMax?: number;
}

/** Samples a rollout's recorder refused to aggregate, by reason; the daemon exports them as metrics. */
export interface DroppedSamples {
  /** Dated in a window that was already closed (closeDue or flush emitted it). */
  late: number;
  /** Would have opened one window more than the bound allows. */
  overflow: number;
}

export interface ClosedWindow {
  rolloutId: string;
  window: SampleWindowData;
}

interface RolloutWindows {
  windowMs: number;
  /** Open windows, oldest first; at most openWindowsMax. */
  open: WindowAccumulator[];
  /** Windows ending at or before this time have been emitted; samples for them are late. */
  closedUntil: number;
  /** The window the previous sample went to: nearly every sample goes to the same one, so check it first. */
  lastWindow: WindowAccumulator | null;
  dropped: DroppedSamples;
}

/**
 * Aggregates request samples per rollout × variant × fixed window (aligned to multiples of the rollout's window length)
 * into counts and an HdrHistogram, so the log grows with time, not traffic. Pure: time only comes from the samples'
 * `at` and the argument of `closeDue`.
 *
 * Memory per rollout is bounded whatever the traffic: at most `openWindowsMax` (default 4) open windows, each holding
 * per variant two counters and either up to PENDING_LATENCIES_MAX raw latencies (≤ 32 KB) or one histogram (~40 KB
 * for latencies of 1 µs–500 ms, ≤ 94 KB over the full 1 µs–1 h range) — so ≤ 4 × 2 × 94 KB ≈ 750 KB per rollout at
 * the very worst, a few KB for a quiet one (docs/benchmarks.md measures 1,000 rollouts). Rules:
 * - a sample dated in a window that has already been closed is *late*: counted and dropped;
 * - a sample that would open a window while `openWindowsMax` are open is *overflow*: counted and dropped. This only
 *   happens when samples are dated more than that many windows apart before `closeDue` catches up — producer clock
 *   skew or a stalled ticker; the daemon exports both counts so it is visible.
 */
export class SampleRecorder {
  private readonly rollouts = new Map<string, RolloutWindows>();
  private readonly openWindowsMax: number;

  constructor(options: SampleRecorderOptions = {}) {
    this.openWindowsMax = options.openWindowsMax ?? OPEN_WINDOWS_MAX;
    if (!Number.isSafeInteger(this.openWindowsMax) || this.openWindowsMax < 1) {
      throw new RangeError(`openWindowsMax must be a positive integer, got ${this.openWindowsMax}`);
    }
  }

  /** Starts recording a rollout with windows of `windowMs`. Opening an open rollout with the same length does nothing. */
  open(rolloutId: string, windowMs: number): void {
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new SluiceError('SLUICE_E_SAMPLE_INVALID', `rollout "${rolloutId}": window length must be a positive integer of ms, got ${windowMs}`);
    }
    const existing = this.rollouts.get(rolloutId);
    if (existing) {
      if (existing.windowMs === windowMs) return;
      throw new SluiceError(
        'SLUICE_E_SAMPLE_INVALID',
        `rollout "${rolloutId}" is already recording with ${existing.windowMs} ms windows, not ${windowMs} ms; drop it first`,
      );
    }
    this.rollouts.set(rolloutId, { windowMs, open: [], closedUntil: 0, lastWindow: null, dropped: { late: 0, overflow: 0 } });
  }

  /** Records one request. Returns false when the sample was dropped as late or overflow (see the class comment). */
  record(rolloutId: string, sample: RequestSample): boolean {
    const rollout = this.rolloutOf(rolloutId);
    checkRequestSample(rolloutId, sample);
    const windowStartAt = sample.at - (sample.at % rollout.windowMs);
    const last = rollout.lastWindow;
    const window = last !== null && last.windowStartAt === windowStartAt ? last : this.windowFor(rollout, windowStartAt);
    if (window === null) return false;
    rollout.lastWindow = window;
    const accumulator = sample.variant === 'canary' ? window.canary : window.baseline;
    accumulator.count++;
    if (!sample.ok) accumulator.errors++;
    recordLatencyUs(accumulator, latencyMsToUs(sample.latencyMs));
    return true;
  }

  /** Adds a pre-aggregated window of one variant. Returns false when dropped as late or overflow. */
  recordAggregate(rolloutId: string, aggregate: AggregateSample): boolean {
    const rollout = this.rolloutOf(rolloutId);
    checkAggregateSample(rolloutId, aggregate, rollout.windowMs);
    const histogram = aggregate.latencyHistogram ? decodeLatencyHistogram(aggregate.latencyHistogram) : null;
    if (histogram && histogram.totalCount !== aggregate.count) {
      throw sampleInvalid(rolloutId, 'latencyHistogram', `holds ${histogram.totalCount} values but count is ${aggregate.count}`);
    }
    const window = this.windowFor(rollout, aggregate.windowStartAt);
    if (!window) return false;
    const accumulator = variantOf(window, aggregate.variant);
    accumulator.count += aggregate.count;
    accumulator.errors += aggregate.errors;
    if (histogram) histogramOf(accumulator).add(histogram);
    return true;
  }

  /** Closes and returns every open window, of every rollout, whose end is at or before `at`; oldest first per rollout. */
  closeDue(at: number): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    for (const [rolloutId, rollout] of this.rollouts) {
      while (rollout.open.length > 0 && rollout.open[0]!.windowEndAt <= at) {
        const window = rollout.open.shift()!;
        if (rollout.lastWindow === window) rollout.lastWindow = null;
        closed.push({ rolloutId, window: toSampleWindowData(window) });
      }
      const closedUntil = Math.floor(at / rollout.windowMs) * rollout.windowMs;
      if (closedUntil > rollout.closedUntil) rollout.closedUntil = closedUntil;
    }
    return closed;
  }

  /** Closes and returns all open windows of a rollout now, due or not (rollout ended, daemon stopping). */
  flush(rolloutId: string): ClosedWindow[] {
    const rollout = this.rolloutOf(rolloutId);
    const closed = rollout.open.map((window) => ({ rolloutId, window: toSampleWindowData(window) }));
    const last = rollout.open[rollout.open.length - 1];
    if (last && last.windowEndAt > rollout.closedUntil) rollout.closedUntil = last.windowEndAt;
    rollout.open = [];
    rollout.lastWindow = null;
    return closed;
  }

  /** Forgets a rollout and its open windows. */
  drop(rolloutId: string): void {
    this.rollouts.delete(rolloutId);
  }

  /** Samples dropped so far for a rollout. */
  dropped(rolloutId: string): DroppedSamples {
    return { ...this.rolloutOf(rolloutId).dropped };
  }

  /** Open windows across all rollouts (a gauge for /metrics). */
  openWindowCount(): number {
    let count = 0;
    for (const rollout of this.rollouts.values()) count += rollout.open.length;
    return count;
  }

  isOpen(rolloutId: string): boolean {
    return this.rollouts.has(rolloutId);
  }

  private rolloutOf(rolloutId: string): RolloutWindows {
    const rollout = this.rollouts.get(rolloutId);
    if (!rollout) throw new RolloutNotFoundError(rolloutId);
    return rollout;
  }

  /** The open window starting at `windowStartAt`, opened if the bound allows; null (and counted) when dropped. */
  private windowFor(rollout: RolloutWindows, windowStartAt: number): WindowAccumulator | null {
    if (windowStartAt + rollout.windowMs <= rollout.closedUntil) {
      rollout.dropped.late++;
      return null;
    }
    const open = rollout.open;
    // Most samples land in the newest window; search from the end, and keep `open` sorted by start.
    let index = open.length - 1;
    while (index >= 0 && open[index]!.windowStartAt > windowStartAt) index--;
    if (index >= 0 && open[index]!.windowStartAt === windowStartAt) return open[index]!;
    if (open.length >= this.openWindowsMax) {
      rollout.dropped.overflow++;
      return null;
    }
    const window = newWindowAccumulator(windowStartAt, rollout.windowMs);
    open.splice(index + 1, 0, window);
    return window;
  }
}
