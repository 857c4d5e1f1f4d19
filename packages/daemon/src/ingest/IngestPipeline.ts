import { latencyMsToUs, type RequestSample, type Variant } from '@sluice/core';
import { GroupCommitter } from './GroupCommitter.js';
import type { IngestJournal, JournalRow } from './IngestJournal.js';
import type { ParsedSample, RejectedLine } from './parseSamples.js';

/** One pre-aggregated window as pushed to /v1/rollouts/:id/windows. */
export interface AggregateWindow {
  line: number;
  variant: Variant;
  windowStartAt: number;
  count: number;
  errors: number;
  latencyHistogram?: string;
}

/**
 * Parsed lines (samples or windows) waiting for their group commit, all batches together: ~1 M parsed samples are
 * ~100 MB. Batches beyond it are refused with 503 (SLUICE_E_INGEST_OVERLOADED) so a burst cannot grow memory without
 * bound; the count bound (GROUP_QUEUE_MAX batches) alone would let 20,000 large batches queue.
 */
export const INGEST_QUEUED_LINES_MAX = 1_000_000;

export type IngestItem =
  | { kind: 'samples'; rolloutId: string; windowMs: number; samples: ParsedSample[] }
  | { kind: 'windows'; rolloutId: string; windowMs: number; windows: AggregateWindow[] };

export interface IngestResult {
  accepted: number;
  rejected: RejectedLine[];
}

/** Where samples are aggregated in memory: core's SampleRecorder. `false` means refused (late or too far ahead). */
export interface SampleSink {
  record(rolloutId: string, sample: RequestSample): boolean;
  recordAggregate(rolloutId: string, window: { variant: Variant; windowStartAt: number; count: number; errors: number; latencyHistogram?: string }): boolean;
}

export interface IngestGuards {
  /** Windows ending at or before this time are closed: samples for them are late. */
  closedBeforeAt(): number;
  /** Whether the rollout still takes samples (exists and is not terminal). */
  acceptsSamples(rolloutId: string): boolean;
  onCommitted?(stats: { batches: number; batchesRefused: number; samples: number; rejected: number; commitMs: number }): void;
  /** The journal could not be written after samples were recorded in memory: the daemon must stop (fail-stop). */
  onJournalFailure(error: unknown): void;
}

/**
 * Durable ingestion: the batches of one group are recorded into the in-memory recorder (which refuses late and
 * too-far-ahead samples), the accepted ones are written to the ingest journal in one transaction, and only then are
 * the batches acknowledged. Recording and the journal write run in one synchronous step, so the scheduler can never
 * close a window in between: an acknowledged sample is always in exactly one window event, or in the journal waiting
 * for its window. A journal write failure is fatal (fail-stop), so memory never holds what the disk does not.
 */
export class IngestPipeline {
  readonly #journal: IngestJournal;
  readonly #sink: SampleSink;
  readonly #guards: IngestGuards;
  readonly #committer: GroupCommitter<IngestItem, IngestResult>;

  constructor(journal: IngestJournal, sink: SampleSink, guards: IngestGuards) {
    this.#journal = journal;
    this.#sink = sink;
    this.#guards = guards;
    this.#committer = new GroupCommitter((items) => this.#commit(items), {
      sizeOf: (item) => (item.kind === 'samples' ? item.samples.length : item.windows.length),
      queuedSizeMax: INGEST_QUEUED_LINES_MAX,
    });
  }

  /** Resolves once the accepted part of the batch is durable; never resolves before. */
  submit(item: IngestItem): Promise<IngestResult> {
    return this.#committer.submit(item);
  }

  /** Commits queued batches now (before the scheduler closes windows, and at shutdown). */
  flush(): void {
    this.#committer.flush();
  }

  close(): void {
    this.#committer.close();
  }

  get queued(): number {
    return this.#committer.queued;
  }

  #commit(items: readonly IngestItem[]): IngestResult[] {
    const started = performance.now();
    const closedBeforeAt = this.#guards.closedBeforeAt();
    const aggregates: { row: JournalRow; latencies: number[] }[] = [];
    const results: IngestResult[] = [];
    let sampleCount = 0;
    let rejectedCount = 0;
    for (const item of items) {
      const result: IngestResult = { accepted: 0, rejected: [] };
      results.push(result);
      if (!this.#guards.acceptsSamples(item.rolloutId)) {
        const lines = item.kind === 'samples' ? item.samples : item.windows;
        for (const entry of lines) result.rejected.push({ line: entry.line, reason: `rollout "${item.rolloutId}" has ended; it takes no more samples` });
      } else if (item.kind === 'samples') {
        // Journal rows of this batch by window start, one per variant (a batch spans few windows, usually one).
        const byWindow = new Map<number, Record<Variant, { row: JournalRow; latencies: number[] } | undefined>>();
        for (const sample of item.samples) {
          const windowStartAt = sample.at - (sample.at % item.windowMs);
          // The recorder refuses samples of closed windows (late) and beyond its bound of open windows (overflow).
          // A ParsedSample is a RequestSample (plus its line number), so it is passed as is: no copy per sample.
          let refused: string | undefined;
          try {
            if (!this.#sink.record(item.rolloutId, sample)) refused = '';
          } catch (error) {
            // One bad sample must never fail the other batches of its group.
            refused = (error as Error).message;
          }
          if (refused !== undefined) {
            result.rejected.push({ line: sample.line, reason: refused || refusedReason(windowStartAt, item.windowMs, closedBeforeAt) });
            continue;
          }
          let variants = byWindow.get(windowStartAt);
          if (!variants) {
            variants = { baseline: undefined, canary: undefined };
            byWindow.set(windowStartAt, variants);
          }
          let aggregate = variants[sample.variant];
          if (!aggregate) {
            aggregate = { row: { rolloutId: item.rolloutId, windowStartAt, variant: sample.variant, count: 0, errors: 0 }, latencies: [] };
            variants[sample.variant] = aggregate;
            aggregates.push(aggregate);
          }
          aggregate.row.count++;
          if (!sample.ok) aggregate.row.errors++;
          aggregate.latencies.push(latencyMsToUs(sample.latencyMs));
          result.accepted++;
        }
      } else {
        for (const window of item.windows) {
          const aggregate: Parameters<SampleSink['recordAggregate']>[1] = { variant: window.variant, windowStartAt: window.windowStartAt, count: window.count, errors: window.errors };
          if (window.latencyHistogram) aggregate.latencyHistogram = window.latencyHistogram;
          const refused = tryRecord(() => this.#sink.recordAggregate(item.rolloutId, aggregate));
          if (refused !== undefined) {
            result.rejected.push({ line: window.line, reason: refused || refusedReason(window.windowStartAt, item.windowMs, closedBeforeAt) });
            continue;
          }
          const row: JournalRow = { rolloutId: item.rolloutId, ...aggregate };
          aggregates.push({ row, latencies: [] });
          result.accepted++;
        }
      }
      sampleCount += result.accepted;
      rejectedCount += result.rejected.length;
    }
    const rows: JournalRow[] = [];
    for (const { row, latencies } of aggregates) {
      if (latencies.length > 0) row.latenciesUs = Uint32Array.from(latencies);
      rows.push(row);
    }
    try {
      this.#journal.write(rows);
    } catch (error) {
      // The recorder now holds samples the disk does not: fail-stop, so that memory never gets ahead of the journal.
      // Nobody was acknowledged; after the restart the clients' retries are counted once.
      this.#guards.onJournalFailure(error);
      throw error;
    }
    const batchesRefused = results.filter((r) => r.accepted === 0 && r.rejected.length > 0).length;
    this.#guards.onCommitted?.({ batches: items.length, batchesRefused, samples: sampleCount, rejected: rejectedCount, commitMs: performance.now() - started });
    return results;
  }
}

/**
 * Records one sample or window: undefined when accepted, '' when the recorder refused it (late or too far ahead), or
 * the error's message when it threw — one bad line must never fail the other batches of its group.
 */
function tryRecord(record: () => boolean): string | undefined {
  try {
    return record() ? undefined : '';
  } catch (error) {
    return (error as Error).message;
  }
}

function refusedReason(windowStartAt: number, windowMs: number, closedBeforeAt: number): string {
  if (windowStartAt + windowMs <= closedBeforeAt) return `late: its window [${new Date(windowStartAt).toISOString()}, +${windowMs} ms) is already closed and judged`;
  return `too far ahead: its window starts at ${new Date(windowStartAt).toISOString()}, beyond the windows the daemon keeps open — check the producer's clock`;
}
