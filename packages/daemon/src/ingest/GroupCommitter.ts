import { DaemonError } from '../errors.js';

/** Batches per transaction: a flush takes at most this many; the rest go into the next one, right after. */
export const GROUP_BATCHES_MAX = 1_000;
/** Longest a batch waits for others to share its commit, ms. */
export const GROUP_WAIT_MS_MAX = 2;
/** Batches waiting for a flush; past this, new batches are refused with 503 so memory stays bounded. */
export const GROUP_QUEUE_MAX = 20_000;

export interface GroupCommitterOptions<T> {
  /** Size of an item in the unit of `queuedSizeMax` (the ingest pipeline counts samples and windows). */
  sizeOf?: (item: T) => number;
  /**
   * Total size waiting for a flush; a batch that would take the queue past it is refused (503), unless the queue is
   * empty — one batch is bounded by the request body limit, so it is always taken. Default: unbounded (count only).
   */
  queuedSizeMax?: number;
}

interface Pending<T, R> {
  item: T;
  size: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: every batch submitted within GROUP_WAIT_MS_MAX (2 ms) of the first waiting one is committed by the same
 * synchronous `commit` call (one SQLite transaction, one fsync); a group that reaches GROUP_BATCHES_MAX (1,000) batches
 * commits at once. So the latency a batch gains is at most 2 ms plus the duration of the commit it shares. While a
 * commit runs (it is synchronous), new requests queue in the sockets and form the next group, which is how the number
 * of fsyncs per second stays bounded (≤ 1 per 2 ms + commit) however many requests arrive.
 */
export class GroupCommitter<T, R> {
  readonly #commit: (items: readonly T[]) => R[];
  readonly #sizeOf: (item: T) => number;
  readonly #queuedSizeMax: number;
  #queue: Pending<T, R>[] = [];
  #queuedSize = 0;
  #scheduled = false;
  #closed = false;

  /** `commit` must return one result per item, in order; if it throws, every item of the group is rejected. */
  constructor(commit: (items: readonly T[]) => R[], options: GroupCommitterOptions<T> = {}) {
    this.#commit = commit;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#queuedSizeMax = options.queuedSizeMax ?? Infinity;
  }

  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new DaemonError('SLUICE_E_NOT_READY', 'the daemon is shutting down; retry against the restarted daemon'));
    if (this.#queue.length >= GROUP_QUEUE_MAX) {
      return Promise.reject(new DaemonError('SLUICE_E_INGEST_OVERLOADED', `ingest queue is full (${GROUP_QUEUE_MAX} batches waiting); retry with backoff`));
    }
    const size = this.#sizeOf(item);
    if (this.#queue.length > 0 && this.#queuedSize + size > this.#queuedSizeMax) {
      return Promise.reject(
        new DaemonError('SLUICE_E_INGEST_OVERLOADED', `ingest queue is full (${this.#queuedSize} of at most ${this.#queuedSizeMax} waiting); retry with backoff`),
      );
    }
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, size, resolve, reject });
      this.#queuedSize += size;
      if (this.#queue.length >= GROUP_BATCHES_MAX) this.flush();
      else this.#schedule();
    });
  }

  /** Commits what is queued now, synchronously (also called by the scheduler before closing windows). */
  flush(): void {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, GROUP_BATCHES_MAX);
      for (const pending of group) this.#queuedSize -= pending.size;
      let results: R[];
      try {
        results = this.#commit(group.map((p) => p.item));
      } catch (error) {
        for (const pending of group) pending.reject(error);
        continue;
      }
      group.forEach((pending, i) => pending.resolve(results[i]!));
    }
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Flushes what is queued and refuses anything submitted later. */
  close(): void {
    this.flush();
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      this.flush();
    }, GROUP_WAIT_MS_MAX);
  }
}
