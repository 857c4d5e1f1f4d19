import type { AnyStoredEvent } from '@sluice/core';

export type EventListener = (event: AnyStoredEvent) => void;

/** Subscribers of one rollout's stream are bounded so a leak of SSE connections cannot grow without limit. */
export const SUBSCRIBERS_PER_ROLLOUT_MAX = 256;

/**
 * In-process fan-out of appended events to live readers (SSE streams, `watch`). Publication is synchronous and runs
 * after the append committed, so a subscriber never sees an event that is not in the log.
 */
export class EventBus {
  readonly #listeners = new Map<string, Set<EventListener>>();

  /** Returns an unsubscribe function, or undefined when the rollout already has SUBSCRIBERS_PER_ROLLOUT_MAX. */
  subscribe(rolloutId: string, listener: EventListener): (() => void) | undefined {
    let set = this.#listeners.get(rolloutId);
    if (!set) {
      set = new Set();
      this.#listeners.set(rolloutId, set);
    }
    if (set.size >= SUBSCRIBERS_PER_ROLLOUT_MAX) return undefined;
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(rolloutId);
    };
  }

  hasSubscribers(rolloutId: string): boolean {
    return this.#listeners.has(rolloutId);
  }

  publish(events: readonly AnyStoredEvent[]): void {
    for (const event of events) {
      const set = this.#listeners.get(event.rolloutId);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch {
          // A broken subscriber (closed socket) must not stop the others; it unsubscribes on its own close.
        }
      }
    }
  }
}
