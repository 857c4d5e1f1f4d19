import type { AnyStoredEvent } from '@sluice/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../report/testing/chromium.js';
import { startTestDaemon, TEST_TOKEN } from '../testing/startTestDaemon.js';

/**
 * The dashboard in Debian's Chromium against an in-process daemon on loopback: a live rollout advancing on the page,
 * a rollback refused without the right token (nothing logged), then done with it.
 */
type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let daemon: TestDaemon;
let browser: Browser;
const ID = 'checkout-v2';
/** Upper bound on the test's sample batches (each ~60 ms apart), so the loop ends even if the page never advances. */
const BATCHES_MAX = 1_500;
let pushing = false;
let pusher: Promise<void> = Promise.resolve();

const spec = {
  id: ID,
  service: 'checkout',
  baseline: 'v1',
  candidate: 'v2',
  window: 200,
  stages: [
    { name: 'canary', weightPercent: 10, durationMin: '2s', samplesMin: 5, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }] },
    { name: 'ramp', weightPercent: 50, durationMin: '1h', samplesMin: 5, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }] },
  ],
};

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${daemon.daemon.url}${path}`, { method, headers: daemon.headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: await response.json() };
}

async function events(): Promise<AnyStoredEvent[]> {
  return (await call('GET', `/v1/rollouts/${ID}/events?from=0&limit=10000`)).body.events;
}

/** Healthy samples, pushed as a service would, until stopped (bounded by BATCHES_MAX). */
function startSamples(): void {
  pushing = true;
  pusher = (async () => {
    for (let batch = 0; pushing && batch < BATCHES_MAX; batch++) {
      const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ variant: i % 3 === 0 ? 'canary' : 'baseline', ok: true, latencyMs: 20 + (i % 7) }));
      await fetch(`${daemon.daemon.url}/v1/rollouts/${ID}/samples`, { method: 'POST', headers: daemon.headers, body: lines.join('\n') });
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  })();
}

async function stopSamples(): Promise<void> {
  pushing = false;
  await pusher;
}

async function openPage(context: BrowserContext, problems: string[], requests: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // A 401 is the answer the page expects before a token is typed; anything else is a problem (CSP violations too).
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${daemon.daemon.url}/ui/rollouts/${ID}`);
  return page;
}

beforeAll(async () => {
  daemon = await startTestDaemon();
  expect((await call('POST', '/v1/rollouts', spec)).status).toBe(201);
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await stopSamples();
  await browser?.close();
  await daemon?.stop();
});

describe('the /ui dashboard in Chromium', () => {
  it('shows a live rollout advancing, refuses a rollback without the token, and rolls back with it', async () => {
    const problems: string[] = [];
    const requests: string[] = [];
    const context = await browser.newContext();
    const page = await openPage(context, problems, requests);
    // Reads need the token here (no --open-reads): the page asks for it, and shows the rollout once it is typed.
    await page.waitForSelector('#token-input:visible');
    await page.fill('#token-input', TEST_TOKEN);
    await page.click('#token-save');
    await page.waitForSelector('#phase[data-phase="progressing"]');
    expect(await page.textContent('#stage')).toBe('canary');

    startSamples();
    // Advancing is pushed to the page by the event stream: the status and the report's stage table follow.
    await page.waitForFunction(() => document.getElementById('stage')?.textContent === 'ramp', null, { timeout: 60_000 });
    await page.waitForSelector('#stage-table tr[data-stage="ramp"]', { timeout: 60_000 });
    await page.waitForSelector('.marker[data-kind="stageEntered"]');
    await stopSamples();

    // A wrong token: the daemon refuses the command and logs nothing of it.
    const intruder = await browser.newContext();
    const other = await openPage(intruder, problems, requests);
    await other.fill('#token-input', 'not-the-token');
    await other.click('#token-save');
    await other.click('#command-rollback');
    await other.fill('#confirm-reason', 'should not happen');
    await other.click('#confirm-ok');
    await other.waitForFunction(() => /refused \(401/.test(document.getElementById('command-result')?.textContent ?? ''));
    // No token at all: the page does not send the command.
    await other.click('#token-forget');
    await other.click('#command-rollback');
    await other.waitForFunction(() => /needs the daemon token/.test(document.getElementById('command-result')?.textContent ?? ''));
    const logged = await events();
    expect(logged.filter((e) => e.type === 'command.issued' || e.type === 'rollback.started')).toEqual([]);
    expect((await call('GET', `/v1/rollouts/${ID}`)).body.rollout.state.phase).toBe('progressing');
    await intruder.close();

    // The list (same tab: the token is kept for it) shows the rollout's age and, in parentheses, its time in stage.
    await page.goto(`${daemon.daemon.url}/ui`);
    const ageCell = page.locator(`tr[data-rollout="${ID}"] td`).last();
    await ageCell.waitFor({ timeout: 30_000 });
    expect(await ageCell.textContent()).toMatch(/^\d+(s|m\d+s) \(\d+(s|m\d+s)\)$/);
    await page.goto(`${daemon.daemon.url}/ui/rollouts/${ID}`);
    await page.waitForSelector('#phase[data-phase="progressing"]', { timeout: 30_000 });

    // With the token: confirm, give a reason, and the page shows the rollback done.
    await page.click('#command-rollback');
    await page.fill('#confirm-reason', 'latency alarm from the dashboard test');
    await page.click('#confirm-ok');
    await page.waitForSelector('#phase[data-phase="rolledBack"]', { timeout: 30_000 });
    expect(await page.textContent('#phase')).toBe('rolledBack');
    const command = (await events()).find((e) => e.type === 'command.issued');
    expect(command?.data).toMatchObject({ command: 'rollback', actor: 'dashboard', reason: 'latency alarm from the dashboard test' });

    expect(problems).toEqual([]);
    const origin = new URL(daemon.daemon.url).origin;
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    // The token travels only in a header: never in a URL.
    expect(requests.filter((url) => url.includes(TEST_TOKEN) || url.includes('not-the-token'))).toEqual([]);
    await context.close();
  });
});
