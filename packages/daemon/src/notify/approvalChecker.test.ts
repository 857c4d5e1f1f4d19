import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualTimers } from '../sources/timers.js';
import { eventually } from '../testing/eventually.js';
import { ApprovalChecker, type ApprovalPayload, type ApprovalResult } from './approvalChecker.js';

describe('ApprovalChecker', () => {
  let server: Server;
  let url: string;
  let bodies: Array<{ method: string; payload: ApprovalPayload }>;
  let status: (attempt: number) => number;
  let timers: ManualTimers;
  let approved: ApprovalResult[];
  let gaveUp: ApprovalResult[];
  let checker: ApprovalChecker;

  // Waits (real I/O to the test server, bounded) until `predicate` holds; the checker's own clock is virtual.
  const settle = (what: string, predicate: () => boolean) => eventually(what, () => (predicate() ? true : undefined));

  beforeEach(async () => {
    bodies = [];
    status = () => 200;
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const payload = JSON.parse(raw) as ApprovalPayload;
        bodies.push({ method: req.method ?? '', payload });
        res.writeHead(status(payload.attempt)).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/approve?token=t`;
    timers = new ManualTimers();
    approved = [];
    gaveUp = [];
    checker = new ApprovalChecker({ timers, intervalMs: 10_000, attemptsMax: 3, onApproved: (r) => approved.push(r), onGaveUp: (r) => gaveUp.push(r) });
  });
  afterEach(async () => {
    await checker.close();
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  const request = { rolloutId: 'r1', service: 'checkout', stage: 'ramp', baseline: 'v1', candidate: 'v2', weightPercent: 10 };

  it('POSTs the rollout and stage, and approves on the first 2xx after polling at the interval', async () => {
    status = (attempt) => (attempt < 3 ? 403 : 204);
    checker.start({ ...request, webhook: url });
    await settle('first check answered', () => bodies.length === 1 && timers.pendingCount === 1);
    checker.start({ ...request, webhook: url }); // same stage: no-op, no extra request
    await timers.advanceBy(10_000);
    await settle('second check answered', () => bodies.length === 2 && timers.pendingCount === 1);
    await timers.advanceBy(10_000);
    await settle('approved', () => approved.length === 1);
    expect(bodies.map((b) => b.method)).toEqual(['POST', 'POST', 'POST']);
    expect(bodies[0]?.payload).toEqual({ version: 1, ...request, phase: 'awaitingApproval', attempt: 1, at: timers.now() - 20_000 });
    expect(approved[0]).toMatchObject({ rolloutId: 'r1', stage: 'ramp', webhook: url, attempts: 3, detail: 'HTTP 204' });
    expect(checker.isWaiting('r1')).toBe(false);
    expect(timers.pendingCount).toBe(0);
  });

  it('an approval that cannot be recorded is neither an unhandled rejection nor dropped: it asks again', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let failRecording = true;
      await checker.close();
      checker = new ApprovalChecker({
        timers,
        intervalMs: 10_000,
        attemptsMax: 3,
        onApproved: (r) => {
          if (failRecording) throw new Error('database is locked');
          approved.push(r);
        },
      });
      checker.start({ ...request, webhook: url });
      await settle('first check answered, retry scheduled', () => bodies.length === 1 && timers.pendingCount === 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(checker.isWaiting('r1')).toBe(true);
      failRecording = false;
      await timers.advanceBy(10_000);
      await settle('approved on the second check', () => approved.length === 1);
      expect(approved[0]).toMatchObject({ attempts: 2 });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('gives up after attemptsMax and leaves the stage to a manual promote', async () => {
    status = () => 500;
    checker.start({ ...request, webhook: url });
    for (let i = 1; i < 3; i++) {
      await settle(`check ${i} answered`, () => bodies.length === i && timers.pendingCount === 1);
      await timers.advanceBy(10_000);
    }
    await settle('gave up', () => gaveUp.length === 1);
    expect(gaveUp[0]).toMatchObject({ attempts: 3, detail: 'HTTP 500' });
    expect(approved).toEqual([]);
    // The daemon syncs its state often; a repeated start for the same stage must not reset the bound.
    checker.start({ ...request, webhook: url });
    await timers.advanceBy(60_000);
    expect(bodies).toHaveLength(3);
    expect(checker.isWaiting('r1')).toBe(false);
    // A later stage asks again.
    checker.start({ ...request, stage: 'rollout', webhook: url });
    await settle('next stage asked', () => bodies.length === 4);
  });

  it('stops asking when the stage is no longer waiting', async () => {
    status = () => 409;
    checker.start({ ...request, webhook: url });
    await settle('first check answered', () => bodies.length === 1 && timers.pendingCount === 1);
    checker.stop('r1');
    await timers.advanceBy(60_000);
    expect(bodies).toHaveLength(1);
    expect(timers.pendingCount).toBe(0);
  });
});
