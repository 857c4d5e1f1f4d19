import type { HealthCheckedData } from '@sluice/core';
import type { Dispatcher } from 'undici';
import { request } from '../http/undiciRequest.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';

/**
 * The health-check prober: per rollout, GET the spec's `sources.health.url` every `interval`, each probe bounded by
 * `timeout`, and hand each result to `onResult` as `health.checked` input data with the time the probe finished.
 *
 * - A rollout never has two probes at once: a tick that finds the previous probe still running is skipped (counted in
 *   `skippedCount`), so a slow target gets at most one request in flight from us.
 * - Across rollouts at most `concurrencyMax` probes run at once; the others wait for a slot. The waiting queue is
 *   bounded by the number of rollouts (one probe per rollout at most).
 * - Healthy means a 2xx status. Redirects are not followed (a 3xx is unhealthy: a health URL should answer itself).
 * - The timeout covers the whole probe (connect, headers, body) and runs on the injected timers, so tests drive it
 *   with virtual time. The body is read and discarded, at most `bodyBytesMax`.
 */
export interface HealthProbeConfig {
  url: string;
  intervalMs: number;
  timeoutMs: number;
}

export interface HealthProberOptions {
  onResult(rolloutId: string, data: HealthCheckedData, at: number): void;
  timers?: Timers;
  /** Probes in flight across all rollouts. Default 16. */
  concurrencyMax?: number;
  /** Bytes of a response body read before the rest is dropped. Default 64 KiB. */
  bodyBytesMax?: number;
  /** undici dispatcher (connection pool); default undici's global one. */
  dispatcher?: Dispatcher;
}

interface ProbeState {
  readonly rolloutId: string;
  readonly config: HealthProbeConfig;
  timer: TimerHandle | undefined;
  inFlight: Promise<void> | undefined;
  stopped: boolean;
}

export const HEALTH_PROBE_CONCURRENCY_DEFAULT = 16;
export const HEALTH_PROBE_BODY_BYTES_MAX_DEFAULT = 64 * 1024;
/** Shortest interval and timeout accepted, so a typo ("5" meaning 5 s) cannot turn the prober into a load test. */
export const HEALTH_PROBE_INTERVAL_MS_MIN = 100;
export const HEALTH_PROBE_TIMEOUT_MS_MIN = 10;

export class HealthProber {
  private readonly onResult: HealthProberOptions['onResult'];
  private readonly timers: Timers;
  private readonly concurrencyMax: number;
  private readonly bodyBytesMax: number;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly probes = new Map<string, ProbeState>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  /** Ticks skipped because the rollout's previous probe was still running. */
  skippedCount = 0;

  constructor(options: HealthProberOptions) {
    this.onResult = options.onResult;
    this.timers = options.timers ?? systemTimers;
    this.concurrencyMax = options.concurrencyMax ?? HEALTH_PROBE_CONCURRENCY_DEFAULT;
    this.bodyBytesMax = options.bodyBytesMax ?? HEALTH_PROBE_BODY_BYTES_MAX_DEFAULT;
    this.dispatcher = options.dispatcher;
    if (!(Number.isInteger(this.concurrencyMax) && this.concurrencyMax >= 1)) {
      throw new RangeError(`concurrencyMax must be an integer ≥ 1, got ${this.concurrencyMax}`);
    }
  }

  /**
   * Starts probing for a rollout; the first probe runs one interval from now. Starting again with the same config is
   * a no-op; with another config it restarts. `interval`/`timeout` come from the spec in ms; values below
   * HEALTH_PROBE_INTERVAL_MS_MIN / HEALTH_PROBE_TIMEOUT_MS_MIN are raised to them.
   */
  start(rolloutId: string, requested: HealthProbeConfig): void {
    // The spec allows any duration; raising a tiny one to the minimum keeps a valid spec from failing at activation.
    const config: HealthProbeConfig = {
      url: requested.url,
      intervalMs: Math.max(HEALTH_PROBE_INTERVAL_MS_MIN, Number.isFinite(requested.intervalMs) ? requested.intervalMs : 0),
      timeoutMs: Math.max(HEALTH_PROBE_TIMEOUT_MS_MIN, Number.isFinite(requested.timeoutMs) ? requested.timeoutMs : 0),
    };
    const existing = this.probes.get(rolloutId);
    if (existing && sameConfig(existing.config, config)) return;
    if (existing) this.stop(rolloutId);
    const state: ProbeState = { rolloutId, config: { ...config }, timer: undefined, inFlight: undefined, stopped: false };
    this.probes.set(rolloutId, state);
    this.schedule(state);
  }

  /** Stops probing for a rollout. A probe in flight finishes but its result is dropped. */
  stop(rolloutId: string): void {
    const state = this.probes.get(rolloutId);
    if (!state) return;
    state.stopped = true;
    if (state.timer) this.timers.clearTimeout(state.timer);
    this.probes.delete(rolloutId);
  }

  /** Stops every rollout and waits for probes in flight to settle. */
  async close(): Promise<void> {
    const inFlight = [...this.probes.values()].map((s) => s.inFlight).filter((p): p is Promise<void> => p !== undefined);
    for (const rolloutId of [...this.probes.keys()]) this.stop(rolloutId);
    await Promise.allSettled(inFlight);
  }

  isProbing(rolloutId: string): boolean {
    return this.probes.has(rolloutId);
  }

  get activeRolloutCount(): number {
    return this.probes.size;
  }

  /** Runs one probe now, outside the schedule (used by tests and by `sluice` diagnostics). */
  async probeOnce(config: Pick<HealthProbeConfig, 'url' | 'timeoutMs'>): Promise<{ data: HealthCheckedData; at: number }> {
    const release = await this.acquireSlot();
    try {
      const data = await this.probe(config);
      return { data, at: this.timers.now() };
    } finally {
      release();
    }
  }

  private schedule(state: ProbeState): void {
    state.timer = this.timers.setTimeout(() => this.tick(state), state.config.intervalMs);
  }

  private tick(state: ProbeState): void {
    if (state.stopped) return;
    this.schedule(state);
    if (state.inFlight) {
      this.skippedCount++;
      return;
    }
    state.inFlight = this.runScheduledProbe(state).finally(() => {
      state.inFlight = undefined;
    });
  }

  private async runScheduledProbe(state: ProbeState): Promise<void> {
    const { data, at } = await this.probeOnce(state.config);
    if (state.stopped) return;
    try {
      this.onResult(state.rolloutId, data, at);
    } catch {
      // The callback belongs to the daemon core, which logs its own failures; a throwing callback must not stop probing.
    }
  }

  private async probe(config: Pick<HealthProbeConfig, 'url' | 'timeoutMs'>): Promise<HealthCheckedData> {
    const controller = new AbortController();
    const timeout = this.timers.setTimeout(() => controller.abort(), config.timeoutMs);
    try {
      const response = await request(config.url, {
        method: 'GET',
        signal: controller.signal,
        headers: { 'user-agent': 'sluice-health-prober', accept: '*/*' },
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      await drain(response.body, this.bodyBytesMax);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { ok, target: config.url, detail: `HTTP ${response.statusCode}` };
    } catch (error) {
      const detail = controller.signal.aborted ? `timeout after ${config.timeoutMs} ms` : describeError(error);
      return { ok: false, target: config.url, detail };
    } finally {
      this.timers.clearTimeout(timeout);
    }
  }

  private async acquireSlot(): Promise<() => void> {
    if (this.running >= this.concurrencyMax) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    return () => {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter so `running` never exceeds the bound.
      if (next) next();
      else this.running--;
    };
  }
}

function sameConfig(a: HealthProbeConfig, b: HealthProbeConfig): boolean {
  return a.url === b.url && a.intervalMs === b.intervalMs && a.timeoutMs === b.timeoutMs;
}

/** Reads up to `bytesMax` of a body and destroys the rest, so the connection is freed without buffering a large page. */
async function drain(body: Dispatcher.ResponseData['body'], bytesMax: number): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += (chunk as Buffer).length;
    if (read >= bytesMax) {
      body.destroy();
      return;
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}

/** The prober config of a validated spec, or undefined when the spec has no `sources.health`. */
export function healthProbeConfigOf(spec: {
  sources: { health?: { url: string; interval: number; timeout: number } | undefined };
}): HealthProbeConfig | undefined {
  const health = spec.sources.health;
  return health ? { url: health.url, intervalMs: health.interval, timeoutMs: health.timeout } : undefined;
}
