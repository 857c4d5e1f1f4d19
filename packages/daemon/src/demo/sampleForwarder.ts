import type { RequestSample } from '@sluice/core';
import type { DaemonClient } from '../client/DaemonClient.js';

/** Samples buffered between two posts; beyond it the oldest are dropped (and counted) so memory stays bounded. */
export const FORWARD_BUFFER_MAX = 50_000;
export const FORWARD_INTERVAL_MS = 100;

export interface SampleForwarder {
  /** The router's sample listener. */
  readonly listener: (sample: RequestSample) => void;
  readonly stats: { posted: number; accepted: number; rejected: number; dropped: number };
  stop(): Promise<void>;
}

/**
 * Forwards the router's request samples to the daemon as NDJSON batches over the HTTP API (what a service embedding
 * the router does), one request at a time, every FORWARD_INTERVAL_MS.
 */
export function startSampleForwarder(client: DaemonClient, rolloutId: string): SampleForwarder {
  let buffer: RequestSample[] = [];
  const stats = { posted: 0, accepted: 0, rejected: 0, dropped: 0 };
  let posting: Promise<void> | undefined;
  const post = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const body = batch.map((s) => JSON.stringify({ variant: s.variant, ok: s.ok, latencyMs: Math.round(s.latencyMs * 1000) / 1000, at: s.at })).join('\n');
    stats.posted += batch.length;
    try {
      const answer = await client.postSamples(rolloutId, body);
      stats.accepted += Number(answer.body.accepted ?? 0);
      stats.rejected += Number(answer.body.rejectedCount ?? 0);
    } catch {
      // The rollout ended (409) or the daemon is stopping: these samples are not needed any more.
      stats.rejected += batch.length;
    }
  };
  const timer = setInterval(() => {
    if (!posting) posting = post().finally(() => (posting = undefined));
  }, FORWARD_INTERVAL_MS);
  return {
    stats,
    listener: (sample) => {
      if (buffer.length >= FORWARD_BUFFER_MAX) {
        buffer.shift();
        stats.dropped++;
      }
      buffer.push(sample);
    },
    async stop() {
      clearInterval(timer);
      await posting;
    },
  };
}
