import { AppendConflictError } from '../../errors.js';
import { EVENT_VERSIONS, type AnyStoredEvent, type NewEvent, type RecordedEvent } from '../../events/eventTypes.js';
import { canonicalJson } from '../../log/canonicalJson.js';

/**
 * An in-memory stand-in for EventLog's append/read/readRecorded/nextPosition/transaction, for unit tests of the session and replay.
 * Data goes through the log's canonical JSON (which refuses NaN, Infinity and other non-JSON values) and back, as it
 * would through SQLite. Hashes are not computed (the log's own tests do).
 */
export class MemoryLog {
  private readonly events = new Map<string, AnyStoredEvent[]>();
  private seq = 0;

  append(rolloutId: string, expectedPosition: number, events: readonly NewEvent[]): AnyStoredEvent[] {
    const list = this.events.get(rolloutId) ?? [];
    if (list.length !== expectedPosition) throw new AppendConflictError(rolloutId, expectedPosition, list.length);
    const stored = events.map((event, i) => {
      this.seq++;
      const data = JSON.parse(canonicalJson(event.data, 'data')) as unknown;
      return { seq: this.seq, rolloutId, position: expectedPosition + i, type: event.type, version: EVENT_VERSIONS[event.type], at: event.at, data, hash: '' } as AnyStoredEvent;
    });
    this.events.set(rolloutId, [...list, ...stored]);
    return stored;
  }

  transaction<T>(fn: () => T): T {
    const saved = new Map(this.events);
    try {
      return fn();
    } catch (error) {
      this.events.clear();
      for (const [key, value] of saved) this.events.set(key, value);
      throw error;
    }
  }

  *read(rolloutId: string, fromPosition = 0): IterableIterator<AnyStoredEvent> {
    yield* (this.events.get(rolloutId) ?? []).slice(fromPosition);
  }

  *readRecorded(rolloutId: string, fromPosition = 0): IterableIterator<RecordedEvent> {
    for (const { position, type, version, at, data } of this.read(rolloutId, fromPosition)) yield { position, type, version, at, data } as RecordedEvent;
  }

  nextPosition(rolloutId: string): number {
    return this.events.get(rolloutId)?.length ?? 0;
  }

  /** Test hook: everything stored for a rollout. */
  all(rolloutId: string): AnyStoredEvent[] {
    return this.events.get(rolloutId) ?? [];
  }
}
