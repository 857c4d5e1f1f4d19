import { EventLog } from '@sluice/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/runCli.js';
import { launchChromium } from './testing/chromium.js';
import { ROLLBACK_ID, simulateRollback, type SimulatedLog } from './testing/simulatedLog.js';

/**
 * The report of a simulated rollback, opened from file:// in Debian's Chromium (installed by scripts/ensure-chromium.sh
 * when missing). What a reader relies on: it renders without errors or network, its charts hold every window, the
 * rollback marker explains itself, and its stage table says what `sluice audit --json` says.
 */
let simulated: SimulatedLog;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
let windowEvents = 0;

beforeAll(async () => {
  simulated = simulateRollback();
  const out = join(simulated.dir, 'report.html');
  const written = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', out);
  expect(written.code, written.err).toBe(0);
  const log = EventLog.open(simulated.file, { readonly: true });
  try {
    for (const event of log.read(ROLLBACK_ID)) if (event.type === 'samples.window') windowEvents++;
  } finally {
    log.close();
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(out).href);
  await page.waitForSelector('#sluice-report[data-rendered]', { timeout: 30_000 });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  simulated?.remove();
});

describe('sluice report in Chromium', () => {
  it('renders from file:// with no console error and no request but the file itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(requests.filter((url) => url.startsWith('file://'))).toHaveLength(1);
  });

  it('draws one point per samples.window event in the canary error-rate chart', async () => {
    expect(windowEvents).toBeGreaterThan(50);
    const points = await page.getAttribute('#chart-window-error-rate', 'data-points');
    expect(Number(points)).toBe(windowEvents);
    // The chart's own data, as uPlot holds it, agrees with the attribute and with its numbers table.
    await page.click('#chart-window-error-rate details > summary');
    // The table is built on the details' toggle event, which fires after the click returns; it is appended whole.
    await page.waitForSelector('#chart-window-error-rate .numbers-table', { timeout: 30_000 });
    expect(await page.locator('#chart-window-error-rate .numbers-table tbody tr').count()).toBe(windowEvents);
  });

  it('shows the evidence sentence of the rollback when its marker gets focus', async () => {
    const log = EventLog.open(simulated.file, { readonly: true });
    let summary = '';
    try {
      for (const event of log.read(ROLLBACK_ID)) if (event.type === 'rollback.started') summary = event.data.evidence.summary;
    } finally {
      log.close();
    }
    expect(summary).toMatch(/worse than/);
    const tooltip = page.locator('#marker-tooltip');
    await expect.poll(() => tooltip.isHidden()).toBe(true);
    await page.focus('.marker[data-kind="rollbackStarted"]');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.textContent()).toContain(summary);
    expect(await page.textContent('#deciding-evidence')).toBe(summary);
  });

  it('has a per-stage table whose numbers are those of sluice audit --json', async () => {
    const audit = await runCli('audit', '--db', simulated.file, ROLLBACK_ID, '--json');
    expect(audit.code, audit.err).toBe(0);
    const stages = (JSON.parse(audit.out) as { rollout: { stages: Array<Record<string, unknown> & { stage: string; canary: Record<string, number | null>; baseline: Record<string, number | null> }> } }).rollout.stages;
    expect(stages.map((s) => s.stage)).toEqual(['canary', 'rollback']);
    for (const stage of stages) {
      for (const variant of ['canary', 'baseline'] as const) {
        const row = page.locator(`#stage-table tr[data-stage="${stage.stage}"][data-variant="${variant}"]`);
        const cell = (field: string) => row.locator(`td[data-field="${field}"]`).textContent();
        const stats = stage[variant];
        expect(Number(await cell('requests'))).toBe(stats.requests);
        expect(Number(await cell('errors'))).toBe(stats.errors);
        for (const field of ['errorRatePercent', 'latencyMsP50', 'latencyMsP95', 'latencyMsP99', 'latencyMsP999']) {
          const shown = (await cell(field))!.replace('%', '');
          if (stats[field] === null) expect(shown).toBe('–');
          else expect(Number(shown)).toBeCloseTo(stats[field]!, 2);
        }
      }
    }
    const canary = stages[0]!;
    expect((canary.canary.requests as number) + (canary.baseline.requests as number)).toBeGreaterThan(0);
  });

  it('holds its scripts, styles and data inline, under a policy that allows nothing else', () => {
    const html = readFileSync(join(simulated.dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
  });
});
