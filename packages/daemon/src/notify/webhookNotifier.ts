import { randomUUID } from 'node:crypto';
import { backoffDelayMs } from '@sluice/adapters';
import type { WebhookSpec } from '@sluice/core';
import type { Dispatcher } from 'undici';
import { request } from '../http/undiciRequest.js';
import { systemTimers, type Timers } from '../sources/timers.js';
import { ATTEMPT_HEADER, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER } from './signature.js';
import { webhookBodyText, webhookWants, type NotificationContext, type NotificationEvent } from './webhookPayload.js';

/**
 * Sends notification webhooks without ever blocking the caller: `notify` serialises the body, enqueues one delivery
 * per interested webhook and returns. Each destination (url + secretEnv) has its own bounded FIFO queue and one
 * delivery in flight, so events reach a receiver in log order and a slow receiver delays only itself.
 *
 * A delivery is retried on network errors, timeouts, 408, 429 and 5xx, with exponential backoff (with jitter, capped,
 * `Retry-After` honoured up to the cap) for at most `attemptsMax` attempts; any other status is final. When a queue is
 * full the new notification is dropped and reported. Every outcome is logged and passed to `onOutcome` (metrics).
 */
export type DeliveryResult = 'delivered' | 'failed' | 'dropped';

export interface DeliveryOutcome {
  result: DeliveryResult;
  url: string;
  rolloutId: string;
  type: string;
  deliveryId: string;
  attempts: number;
  statusCode?: number;
  /** Why it failed or was dropped; `code` is a stable daemon error code. */
  error?: { code: 'SLUICE_E_WEBHOOK_DELIVERY' | 'SLUICE_E_WEBHOOK_SECRET_MISSING'; message: string };
}

/** The part of a pino logger the notifier uses. */
export interface NotifyLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface WebhookNotifierOptions {
  timers?: Timers;
  env?: Record<string, string | undefined>;
  logger?: NotifyLogger;
  onOutcome?: (outcome: DeliveryOutcome) => void;
  dispatcher?: Dispatcher;
  /** Attempts per delivery, first included. Default 6 (about 1 minute of retrying with the default backoff). */
  attemptsMax?: number;
  /** First retry delay; doubles each attempt. Default 1 s. */
  backoffMsInitial?: number;
  /** Longest delay between attempts. Default 30 s. */
  backoffMsMax?: number;
  /** Timeout of one attempt, connect to response headers and a bounded body read. Default 5 s. */
  timeoutMs?: number;
  /** Notifications waiting per destination, beyond which new ones are dropped. Default 100. */
  queueMax?: number;
  /** Jitter source in [0, 1); the delay is between half and all of the backoff. Default Math.random. */
  random?: () => number;
}

interface Delivery {
  deliveryId: string;
  rolloutId: string;
  type: string;
  body: string;
}

interface Destination {
  webhook: WebhookSpec;
  queue: Delivery[];
  pumping: boolean;
}

export const WEBHOOK_DEFAULTS = { attemptsMax: 6, backoffMsInitial: 1_000, backoffMsMax: 30_000, timeoutMs: 5_000, queueMax: 100 } as const;
/** Response bytes read from a receiver before the rest is discarded. */
const RESPONSE_BYTES_MAX = 16 * 1024;

export class WebhookNotifier {
  private readonly timers: Timers;
  private readonly env: Record<string, string | undefined>;
  private readonly options: Required<Pick<WebhookNotifierOptions, 'attemptsMax' | 'backoffMsInitial' | 'backoffMsMax' | 'timeoutMs' | 'queueMax' | 'random'>>;
  private readonly destinations = new Map<string, Destination>();
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly config: WebhookNotifierOptions = {}) {
    this.timers = config.timers ?? systemTimers;
    this.env = config.env ?? process.env;
    this.options = {
      attemptsMax: config.attemptsMax ?? WEBHOOK_DEFAULTS.attemptsMax,
      backoffMsInitial: config.backoffMsInitial ?? WEBHOOK_DEFAULTS.backoffMsInitial,
      backoffMsMax: config.backoffMsMax ?? WEBHOOK_DEFAULTS.backoffMsMax,
      timeoutMs: config.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
      queueMax: config.queueMax ?? WEBHOOK_DEFAULTS.queueMax,
      random: config.random ?? Math.random,
    };
    if (!(this.options.attemptsMax >= 1 && this.options.attemptsMax <= 100)) throw new RangeError('attemptsMax must be within 1–100');
    if (!(this.options.queueMax >= 1)) throw new RangeError('queueMax must be ≥ 1');
  }

  /**
   * Enqueues the event for every webhook in `context.webhooks` that wants its type; returns how many deliveries were
   * enqueued. Never throws for a delivery problem and never waits for the network.
   */
  notify(event: NotificationEvent, context: NotificationContext): number {
    if (this.closed) return 0;
    let enqueued = 0;
    for (const webhook of context.webhooks) {
      if (!webhookWants(webhook, event.type)) continue;
      const delivery: Delivery = {
        deliveryId: randomUUID(),
        rolloutId: event.rolloutId,
        type: event.type,
        body: webhookBodyText({ ...event, type: event.type }, context),
      };
      const key = `${webhook.url}\n${webhook.secretEnv ?? ''}`;
      let destination = this.destinations.get(key);
      if (!destination) {
        destination = { webhook, queue: [], pumping: false };
        this.destinations.set(key, destination);
      }
      if (destination.queue.length >= this.options.queueMax) {
        this.report(webhook, delivery, { result: 'dropped', attempts: 0, error: { code: 'SLUICE_E_WEBHOOK_DELIVERY', message: `queue full (${this.options.queueMax} waiting): the receiver is down or slow` } });
        continue;
      }
      destination.queue.push(delivery);
      enqueued++;
      if (!destination.pumping) void this.pump(key, destination);
    }
    return enqueued;
  }

  /** Deliveries waiting or in flight, across destinations. */
  get pendingCount(): number {
    let count = 0;
    for (const d of this.destinations.values()) count += d.queue.length;
    return count;
  }

  /** Resolves when every queue is empty (for tests and for a graceful shutdown). */
  async whenIdle(): Promise<void> {
    if (this.pendingCount === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting notifications; deliveries already queued go on until done (await `drain` to wait for them). */
  close(): void {
    this.closed = true;
  }

  /** Waits for every queue to empty, at most `timeoutMs`; resolves true when idle, false on timeout (for shutdown). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pendingCount === 0) return true;
    let timer: ReturnType<Timers['setTimeout']> | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = this.timers.setTimeout(() => resolve(false), timeoutMs)));
    const idle = await Promise.race([this.whenIdle().then(() => true as const), timedOut]);
    if (timer) this.timers.clearTimeout(timer);
    return idle;
  }

  private async pump(key: string, destination: Destination): Promise<void> {
    destination.pumping = true;
    try {
      for (let delivery = destination.queue[0]; delivery !== undefined; delivery = destination.queue[0]) {
        try {
          await this.deliver(destination.webhook, delivery);
        } catch (error) {
          // deliver() handles every expected failure; this is a bug, reported rather than stalling the queue.
          this.report(destination.webhook, delivery, { result: 'failed', attempts: 0, error: { code: 'SLUICE_E_WEBHOOK_DELIVERY', message: `internal error: ${String(error)}` } });
        }
        destination.queue.shift();
      }
    } finally {
      destination.pumping = false;
      if (destination.queue.length === 0) this.destinations.delete(key);
      if (this.pendingCount === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async deliver(webhook: WebhookSpec, delivery: Delivery): Promise<void> {
    let secret: string | undefined;
    if (webhook.secretEnv !== undefined) {
      secret = this.env[webhook.secretEnv];
      if (secret === undefined || secret === '') {
        // Sending unsigned would teach receivers to accept unsigned bodies; this is a deployment error, not transient.
        const message = `environment variable ${webhook.secretEnv} (the webhook's secretEnv) is not set; nothing was sent — set it in the daemon's environment`;
        this.report(webhook, delivery, { result: 'failed', attempts: 0, error: { code: 'SLUICE_E_WEBHOOK_SECRET_MISSING', message } });
        return;
      }
    }
    let lastError = '';
    let lastStatus: number | undefined;
    let attempts = 0;
    for (let attempt = 1; attempt <= this.options.attemptsMax; attempt++) {
      attempts = attempt;
      const result = await this.attempt(webhook.url, delivery, attempt, secret);
      if (result.ok) {
        this.report(webhook, delivery, { result: 'delivered', attempts: attempt, statusCode: result.statusCode });
        return;
      }
      lastError = result.error;
      lastStatus = result.statusCode;
      if (!result.retryable || attempt === this.options.attemptsMax) break;
      await this.sleep(this.backoffMs(attempt, result.retryAfterMs));
    }
    this.report(webhook, delivery, {
      result: 'failed',
      attempts,
      ...(lastStatus !== undefined ? { statusCode: lastStatus } : {}),
      error: { code: 'SLUICE_E_WEBHOOK_DELIVERY', message: lastError },
    });
  }

  private async attempt(
    url: string,
    delivery: Delivery,
    attempt: number,
    secret: string | undefined,
  ): Promise<{ ok: boolean; retryable: boolean; statusCode?: number; error: string; retryAfterMs?: number }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sluice-webhook',
      [EVENT_HEADER]: delivery.type,
      [DELIVERY_HEADER]: delivery.deliveryId,
      [ATTEMPT_HEADER]: String(attempt),
      [TIMESTAMP_HEADER]: String(this.timers.now()),
    };
    if (secret !== undefined) headers[SIGNATURE_HEADER] = signWebhookBody(secret, delivery.body);
    const controller = new AbortController();
    const timeout = this.timers.setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body: delivery.body,
        signal: controller.signal,
        ...(this.config.dispatcher ? { dispatcher: this.config.dispatcher } : {}),
      });
      await response.body.dump({ limit: RESPONSE_BYTES_MAX }).catch(() => undefined);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, retryable: false, statusCode: status, error: '' };
      const retryable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], this.timers.now());
      return { ok: false, retryable, statusCode: status, error: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch (error) {
      const message = controller.signal.aborted ? `timeout after ${this.options.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      return { ok: false, retryable: true, error: message };
    } finally {
      this.timers.clearTimeout(timeout);
    }
  }

  /** The one backoff (@sluice/adapters) with "equal jitter": between half and all of min(cap, initial × 2^(attempt−1)). */
  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    const policy = { delayMsInitial: this.options.backoffMsInitial, delayMsMax: this.options.backoffMsMax, multiplier: 2, jitterRatio: 0.5 };
    const jittered = backoffDelayMs(policy, attempt, this.options.random);
    return retryAfterMs !== undefined ? Math.round(Math.min(this.options.backoffMsMax, Math.max(jittered, retryAfterMs))) : jittered;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.setTimeout(resolve, ms));
  }

  private report(webhook: WebhookSpec, delivery: Delivery, partial: Omit<DeliveryOutcome, 'url' | 'rolloutId' | 'type' | 'deliveryId'>): void {
    const outcome: DeliveryOutcome = { url: redactUrl(webhook.url), rolloutId: delivery.rolloutId, type: delivery.type, deliveryId: delivery.deliveryId, ...partial };
    const log = { rolloutId: outcome.rolloutId, webhook: outcome.url, event: outcome.type, deliveryId: outcome.deliveryId, attempts: outcome.attempts, statusCode: outcome.statusCode, error: outcome.error };
    if (outcome.result === 'delivered') this.config.logger?.info(log, 'webhook delivered');
    else this.config.logger?.warn(log, outcome.result === 'dropped' ? 'webhook dropped' : 'webhook delivery failed');
    try {
      this.config.onOutcome?.(outcome);
    } catch {
      // Metrics callbacks must not break delivery.
    }
  }
}

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Webhook URLs often carry a token in the query or user-info; logs show scheme, host and path only. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
