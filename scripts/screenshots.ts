// Regenerates the screenshots of docs/report.md, docs/dashboard.md and the README (docs/img/*.png):
//   npx tsx --conditions=sluice-source scripts/screenshots.ts
// It simulates a rollback into a temporary log, writes its report with `sluice report`, and photographs it in Debian's
// Chromium (scripts/ensure-chromium.sh installs it when missing); then it starts a daemon on loopback, drives a rollout
// with healthy samples and photographs the dashboard. Deterministic data, so the pictures change only with the code.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../packages/daemon/src/report/testing/chromium.js';
import { ROLLBACK_ID, simulateRollback } from '../packages/daemon/src/report/testing/simulatedLog.js';
import { startTestDaemon, TEST_TOKEN } from '../packages/daemon/src/testing/startTestDaemon.js';
import { runCli } from '../packages/daemon/src/testing/runCli.js';

const IMG = fileURLToPath(new URL('../docs/img/', import.meta.url));
const VIEWPORT = { width: 1200, height: 900 };
/** Bound on the sample batches sent to the dashboard's rollout. */
const BATCHES_MAX = 1_000;

async function reportShots(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const simulated = simulateRollback();
  try {
    const out = join(simulated.dir, 'report.html');
    const run = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', out);
    if (run.code !== 0) throw new Error(`sluice report failed: ${run.err}`);
    process.stdout.write(run.out);
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('#sluice-report[data-rendered]');
    await page.locator('#summary').screenshot({ path: join(IMG, 'report-header.png') });
    await page.focus('.marker[data-kind="rollbackStarted"]');
    await page.locator('#timeline').screenshot({ path: join(IMG, 'report-timeline.png') });
    await page.locator('#gate-compareerrorrate').screenshot({ path: join(IMG, 'report-gate.png') });
    await page.locator('#stages').screenshot({ path: join(IMG, 'report-stages.png') });
    await page.close();
  } finally {
    simulated.remove();
  }
}

async function dashboardShots(browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const daemon = await startTestDaemon();
  let pushing = true;
  try {
    const base = daemon.daemon.url;
    const create = (id: string, service: string) =>
      fetch(`${base}/v1/rollouts`, {
        method: 'POST',
        headers: daemon.headers,
        body: JSON.stringify({
          id, service, baseline: 'v41', candidate: 'v42', window: 500,
          stages: [
            { name: 'canary', weightPercent: 10, durationMin: '3s', samplesMin: 5, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }, { kind: 'sampleRatio' }] },
            { name: 'ramp', weightPercent: 50, durationMin: '1h', samplesMin: 5, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 5 }] },
          ],
        }),
      });
    await create('checkout-v42', 'checkout');
    await create('search-v42', 'search');
    const pusher = (async () => {
      for (let batch = 0; pushing && batch < BATCHES_MAX; batch++) {
        for (const id of ['checkout-v42', 'search-v42']) {
          const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ variant: i % 10 === 0 ? 'canary' : 'baseline', ok: (batch * 30 + i) % 97 !== 0, latencyMs: 20 + ((batch + i * 7) % 40) }));
          await fetch(`${base}/v1/rollouts/${id}/samples`, { method: 'POST', headers: daemon.headers, body: lines.join('\n') });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await page.goto(`${base}/ui/rollouts/checkout-v42`);
    await page.fill('#token-input', TEST_TOKEN);
    await page.click('#token-save');
    await page.waitForFunction(() => document.getElementById('stage')?.textContent === 'ramp', null, { timeout: 60_000 });
    await page.waitForSelector('#stage-table tr[data-stage="ramp"]', { timeout: 60_000 });
    await page.screenshot({ path: join(IMG, 'dashboard-rollout.png') });
    await page.click('#command-rollback');
    await page.fill('#confirm-reason', 'p99 alarm on the checkout dashboard');
    await page.screenshot({ path: join(IMG, 'dashboard-confirm.png') });
    await page.click('#confirm-ok');
    await page.waitForSelector('#phase[data-phase="rolledBack"]', { timeout: 30_000 });
    await page.goto(`${base}/ui`);
    await page.waitForSelector('#rollouts-body tr[data-rollout="search-v42"]');
    await page.screenshot({ path: join(IMG, 'dashboard-list.png'), clip: { x: 0, y: 0, width: VIEWPORT.width, height: 320 } });
    await page.close();
    pushing = false;
    await pusher;
  } finally {
    pushing = false;
    await daemon.stop();
  }
}

mkdirSync(IMG, { recursive: true });
const browser = await launchChromium();
try {
  await reportShots(browser);
  await dashboardShots(browser);
} finally {
  await browser.close();
}
process.stdout.write(`screenshots written to ${IMG}\n`);
