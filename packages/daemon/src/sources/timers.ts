/**
 * The clock and timers the pull sources and notifiers run on. Production passes `systemTimers`; tests pass a
 * `ManualTimers` and move time by hand, so no test sleeps and every schedule is checked exactly. Real I/O (HTTP to a
 * local server) still runs on the real event loop: only *when* things are scheduled is virtual.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Timers {
  /** ms since epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

let nextSystemId = 1;
const systemHandles = new Map<number, NodeJS.Timeout>();

/** Real time. Timers are unref'd: a pending probe or retry never keeps the process alive on its own. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const id = nextSystemId++;
    const timeout = setTimeout(() => {
      systemHandles.delete(id);
      callback();
    }, Math.max(0, delayMs));
    timeout.unref();
    systemHandles.set(id, timeout);
    return { id };
  },
  clearTimeout(handle) {
    const timeout = systemHandles.get(handle.id);
    if (timeout !== undefined) clearTimeout(timeout);
    systemHandles.delete(handle.id);
  },
};

interface ManualEntry {
  id: number;
  dueAt: number;
  callback: () => void;
}

/**
 * Virtual time for tests. `advanceBy` fires every timer due within the step in due order, letting promise callbacks
 * run between timers, so code that awaits between two timers behaves as it does in real time.
 */
export class ManualTimers implements Timers {
  private nowMs: number;
  private nextId = 1;
  private readonly entries = new Map<number, ManualEntry>();

  constructor(startAt = 1_700_000_000_000) {
    this.nowMs = startAt;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.entries.set(id, { id, dueAt: this.nowMs + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.entries.delete(handle.id);
  }

  /** Timers still pending. */
  get pendingCount(): number {
    return this.entries.size;
  }

  /** Milliseconds until the next pending timer, or undefined when none is pending. */
  nextDelayMs(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.entries.values()) if (earliest === undefined || entry.dueAt < earliest) earliest = entry.dueAt;
    return earliest === undefined ? undefined : earliest - this.nowMs;
  }

  /** Moves time forward by `ms`, firing due timers in order; at most `firesMax` timers, to bound a runaway loop. */
  async advanceBy(ms: number, firesMax = 10_000): Promise<void> {
    const target = this.nowMs + ms;
    for (let fired = 0; fired < firesMax; fired++) {
      await flushMicrotasks();
      const next = this.earliestDue(target);
      if (next === undefined) break;
      this.entries.delete(next.id);
      this.nowMs = next.dueAt;
      next.callback();
    }
    this.nowMs = target;
    await flushMicrotasks();
  }

  private earliestDue(limit: number): ManualEntry | undefined {
    let earliest: ManualEntry | undefined;
    for (const entry of this.entries.values()) {
      if (entry.dueAt > limit) continue;
      if (earliest === undefined || entry.dueAt < earliest.dueAt) earliest = entry;
    }
    return earliest;
  }
}

/** Lets chained promise callbacks run (a few macrotask turns, enough for await chains without I/O). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
