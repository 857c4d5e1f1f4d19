import { NOTIFICATION_EVENTS, type WebhookSpec } from '@sluice/core';

/**
 * The JSON body of a notification webhook. One body per event, the same bytes on every retry (so the signature and
 * the `X-Sluice-Delivery` id stay the same and a receiver can deduplicate). docs/notifications.md shows an example.
 */
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

/** The event being notified, as stored in the log (decision events, and the reconciler's `weight.applyFailed` input). */
export interface NotificationEvent {
  rolloutId: string;
  type: string;
  /** ms since epoch, the event's own time. */
  at: number;
  /** Position of the event within its rollout's log. */
  position: number;
  /** The event's data, evidence included (rollback.started, stage.held). */
  data: unknown;
  /**
   * Where the event sits in the log's chains: its global sequence number and its hash, which is the rollout's head once
   * the event is appended. A receiver that keeps the last one can later check the log still holds it (docs/reliability.md).
   */
  chain?: { seq: number; hash: string };
}

/** What the daemon knows about the rollout around the event. */
export interface NotificationContext {
  service: string;
  /** The stage the rollout is in (or left, for rollback.started), when it has one. */
  stage?: string | undefined;
  webhooks: readonly WebhookSpec[];
}

export interface WebhookBody {
  /** Version of this body's shape. */
  version: 1;
  rolloutId: string;
  type: NotificationEventType;
  at: number;
  position: number;
  service: string;
  stage: string | null;
  data: unknown;
  /** The event's sequence number and hash (the rollout's head at that event), when known. */
  chain?: { seq: number; hash: string };
}

/** Notifications larger than this are cut to a summary: a receiver should never have to accept megabytes. */
export const WEBHOOK_BODY_BYTES_MAX = 64 * 1024;

export function isNotificationEventType(type: string): type is NotificationEventType {
  return (NOTIFICATION_EVENTS as readonly string[]).includes(type);
}

/** Whether `webhook` wants events of `type`: a notification type, and in its `events` filter when it has one. */
export function webhookWants(webhook: Pick<WebhookSpec, 'events'>, type: string): type is NotificationEventType {
  if (!isNotificationEventType(type)) return false;
  return webhook.events === undefined || webhook.events.includes(type);
}

/** Serialises the body; data that would make it exceed WEBHOOK_BODY_BYTES_MAX is replaced by a note saying so. */
export function webhookBodyText(event: NotificationEvent & { type: NotificationEventType }, context: Omit<NotificationContext, 'webhooks'>): string {
  const body: WebhookBody = {
    version: 1,
    rolloutId: event.rolloutId,
    type: event.type,
    at: event.at,
    position: event.position,
    service: context.service,
    stage: context.stage ?? stageOf(event.data),
    data: event.data,
  };
  if (event.chain) body.chain = event.chain;
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) <= WEBHOOK_BODY_BYTES_MAX) return text;
  const summary = (event.data as { evidence?: { summary?: unknown } } | null)?.evidence?.summary;
  return JSON.stringify({
    ...body,
    data: { truncated: true, summary: typeof summary === 'string' ? summary.slice(0, 1_000) : undefined, note: `data exceeded ${WEBHOOK_BODY_BYTES_MAX} bytes; read the event at this position from the API` },
  });
}

function stageOf(data: unknown): string | null {
  const stage = (data as { stage?: unknown } | null)?.stage;
  return typeof stage === 'string' ? stage : null;
}
