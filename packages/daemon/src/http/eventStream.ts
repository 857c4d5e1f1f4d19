import type { ServerResponse } from 'node:http';
import type { AnyStoredEvent, EventLog } from '@sluice/core';
import type { EventBus } from '../runtime/EventBus.js';
import { DaemonError } from '../errors.js';

/** Bytes an SSE client may fall behind before it is disconnected (it reconnects with Last-Event-ID). */
export const SSE_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
/** A comment line keeps idle connections (and proxies in between) open. */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Streams a rollout's events from `from` as Server-Sent Events: `id` is the event's position (so a reconnecting
 * client sends Last-Event-ID and resumes exactly), `event` its type, `data` the stored event as JSON. It subscribes
 * before reading the history so that nothing appended in between is lost, and drops duplicates by position.
 */
export function streamEvents(res: ServerResponse, log: EventLog, bus: EventBus, rolloutId: string, from: number): void {
  let next = from;
  const pending: AnyStoredEvent[] = [];
  let live = false;
  const send = (event: AnyStoredEvent): void => {
    if (event.position < next) return;
    next = event.position + 1;
    res.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (res.writableLength > SSE_BUFFER_BYTES_MAX) res.destroy();
  };
  const unsubscribe = bus.subscribe(rolloutId, (event) => (live ? send(event) : pending.push(event)));
  if (!unsubscribe) throw new DaemonError('SLUICE_E_INGEST_OVERLOADED', `too many event streams open for rollout "${rolloutId}"; close some and retry`);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': sluice event stream\n\n');
  for (const event of log.read(rolloutId, from)) send(event);
  live = true;
  for (const event of pending.splice(0)) send(event);
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), SSE_HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
