import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../sources/timers.js';
import { eventually } from '../testing/eventually.js';
import { verifyWebhookSignature } from './signature.js';
import { WebhookNotifier, type DeliveryOutcome } from './webhookNotifier.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A local webhook receiver; `respond` decides each answer (a number is a status, 'hang' never answers). */
class Receiver {
  readonly received: Received[] = [];
  respond: (r: Received) => number | 'hang' = () => 200;
  private readonly hanging: ServerResponse[] = [];
  private readonly server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, raw };
      this.received.push(r);
      const answer = this.respond(r);
      if (answer === 'hang') this.hanging.push(res);
      else res.writeHead(answer).end();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

/** Waits (real I/O, bounded) until `predicate` holds. */
const settle = (what: string, predicate: () => boolean): Promise<true> => eventually(what, () => (predicate() ? true : undefined));

const rollbackStarted = {
  rolloutId: 'checkout-v2',
  type: 'rollback.started',
  at: 1_700_000_000_000,
  position: 42,
  data: { reason: 'gate', stage: 'canary', gate: 'errors', evidence: { summary: 'canary error rate 4.1% > 1%', errorRate: 0.041 } },
};

describe('WebhookNotifier', () => {
  let receiver: Receiver;
  let base: string;
  let timers: ManualTimers;
  let outcomes: DeliveryOutcome[];
  let notifier: WebhookNotifier;

  beforeEach(async () => {
    receiver = new Receiver();
    base = await receiver.listen();
    timers = new ManualTimers();
    outcomes = [];
    notifier = new WebhookNotifier({
      timers,
      env: { HOOK_SECRET: 'squeamish-ossifrage' },
      onOutcome: (o) => outcomes.push(o),
      random: () => 1,
      attemptsMax: 3,
      backoffMsInitial: 1_000,
      timeoutMs: 2_000,
      queueMax: 2,
    });
  });
  afterEach(async () => receiver.close());

  it('posts a signed JSON body to each webhook that wants the event, without blocking the caller', async () => {
    const enqueued = notifier.notify(rollbackStarted, {
      service: 'checkout',
      stage: 'canary',
      webhooks: [
        { url: `${base}/signed`, secretEnv: 'HOOK_SECRET' },
        { url: `${base}/only-completed`, events: ['completed'] },
        { url: `${base}/plain`, events: ['rollback.started'] },
      ],
    });
    expect(enqueued).toBe(2);
    expect(receiver.received).toHaveLength(0); // notify returned before any I/O
    await notifier.whenIdle();
    const signed = receiver.received.find((r) => r.path === '/signed')!;
    expect(verifyWebhookSignature('squeamish-ossifrage', signed.raw, signed.headers['x-sluice-signature'] as string)).toBe(true);
    expect(verifyWebhookSignature('wrong secret', signed.raw, signed.headers['x-sluice-signature'] as string)).toBe(false);
    expect(signed.headers['x-sluice-timestamp']).toBe(String(timers.now()));
    expect(signed.headers['x-sluice-event']).toBe('rollback.started');
    expect(JSON.parse(signed.raw)).toEqual({
      version: 1,
      rolloutId: 'checkout-v2',
      type: 'rollback.started',
      at: 1_700_000_000_000,
      position: 42,
      service: 'checkout',
      stage: 'canary',
      data: rollbackStarted.data,
    });
    const plain = receiver.received.find((r) => r.path === '/plain')!;
    expect(plain.headers['x-sluice-signature']).toBeUndefined();
    expect(outcomes.map((o) => o.result)).toEqual(['delivered', 'delivered']);
  });

  it('ignores events that are not notifications', () => {
    expect(notifier.notify({ ...rollbackStarted, type: 'gate.evaluated' }, { service: 's', webhooks: [{ url: `${base}/x` }] })).toBe(0);
  });

  it('retries 5xx and timeouts with exponential backoff, keeping the body and delivery id', async () => {
    let calls = 0;
    receiver.respond = () => (++calls === 1 ? 503 : calls === 2 ? 'hang' : 200);
    notifier.notify(rollbackStarted, { service: 'checkout', webhooks: [{ url: `${base}/flaky`, secretEnv: 'HOOK_SECRET' }] });
    await settle('first attempt answered and backoff scheduled', () => receiver.received.length === 1 && timers.nextDelayMs() === 1_000);
    await timers.advanceBy(1_000);
    await settle('second attempt arrived', () => receiver.received.length === 2);
    await timers.advanceBy(2_000); // the hanging attempt times out
    await settle('backoff after timeout scheduled', () => timers.nextDelayMs() === 2_000);
    await timers.advanceBy(2_000);
    await notifier.whenIdle();
    expect(receiver.received.map((r) => r.headers['x-sluice-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers['x-sluice-delivery'])).size).toBe(1);
    expect(outcomes).toMatchObject([{ result: 'delivered', attempts: 3, statusCode: 200 }]);
  });

  it('gives up after attemptsMax, and at once on a 4xx', async () => {
    receiver.respond = (r) => (r.path === '/gone' ? 410 : 500);
    notifier.notify(rollbackStarted, { service: 'checkout', webhooks: [{ url: `${base}/gone` }, { url: `${base}/broken` }] });
    for (let i = 0; i < 2; i++) {
      await settle(`retry ${i + 1} scheduled`, () => timers.nextDelayMs() !== undefined && timers.pendingCount === 1);
      await timers.advanceBy(timers.nextDelayMs()!);
    }
    await notifier.whenIdle();
    const byPath = Object.fromEntries(outcomes.map((o) => [new URL(o.url).pathname, o]));
    expect(byPath['/gone']).toMatchObject({ result: 'failed', attempts: 1, statusCode: 410, error: { code: 'SLUICE_E_WEBHOOK_DELIVERY' } });
    expect(byPath['/broken']).toMatchObject({ result: 'failed', attempts: 3, statusCode: 500 });
  });

  it('delivers in order per receiver and drops what exceeds the bounded queue', async () => {
    receiver.respond = () => 200;
    const context = { service: 'checkout', webhooks: [{ url: `${base}/ordered` }] };
    for (let position = 1; position <= 4; position++) notifier.notify({ ...rollbackStarted, type: 'stage.entered', position }, context);
    await notifier.whenIdle();
    expect(receiver.received.map((r) => (JSON.parse(r.raw) as { position: number }).position)).toEqual([1, 2]);
    expect(outcomes.filter((o) => o.result === 'dropped').length).toBe(2);
  });

  it('drains within a bound on shutdown', async () => {
    receiver.respond = () => 'hang';
    notifier.notify(rollbackStarted, { service: 'checkout', webhooks: [{ url: `${base}/slow` }] });
    notifier.close();
    expect(notifier.notify(rollbackStarted, { service: 'checkout', webhooks: [{ url: `${base}/slow` }] })).toBe(0);
    const drained = notifier.drain(1_000);
    await timers.advanceBy(1_000);
    expect(await drained).toBe(false);
    expect(notifier.pendingCount).toBe(1);
  });

  it('refuses to send unsigned when the secret variable is missing', async () => {
    notifier.notify(rollbackStarted, { service: 'checkout', webhooks: [{ url: `${base}/x`, secretEnv: 'MISSING_SECRET' }] });
    await notifier.whenIdle();
    expect(receiver.received).toHaveLength(0);
    expect(outcomes).toMatchObject([{ result: 'failed', error: { code: 'SLUICE_E_WEBHOOK_SECRET_MISSING' } }]);
  });
});
