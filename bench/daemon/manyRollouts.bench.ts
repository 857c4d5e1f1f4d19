import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '@sluice/core';
import { Pool } from 'undici';
import { ensureBuilt, spawnSluiceDaemon } from './sluiceProcess.js';
import { defineSuite } from '../lib/benchmark.js';
import { processCpuSeconds, processRssBytes } from './processStats.js';

/**
 * 1,000 concurrent rollouts on one daemon process, each receiving samples: every second, every rollout gets a batch of
 * SAMPLES_PER_BATCH samples over HTTP (1,000 requests/s in all) for LOAD_SECONDS. Measured on the daemon process: CPU
 * (cores busy), resident memory at the end, and how long after a window could close (its end + the grace period)
 * the tick that closed it appended the window and its gate verdicts (the decision's `at`, read from the log).
 */
const TOKEN = 'bench-token-0123456789abcdef01234';
const ROLLOUTS = 1_000;
const SAMPLES_PER_BATCH = 20;
const LOAD_SECONDS = 20;
const WINDOW_MS = 5_000;
const GRACE_MS = 500;
const TICK_MS = 250;

interface Result {
  cpuCores: number;
  rssMb: number;
  closeToDecisionMsP99: number;
  closeToDecisionMsP50: number;
  windows: number;
  samplesPerSecond: number;
}
let result: Result | undefined;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function runLoad(): Promise<Result> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-many-'));
  const tokenFile = join(dir, 'token');
  const db = join(dir, 'many.db');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const daemon = await spawnSluiceDaemon(['--db', db, '--token-file', tokenFile, '--log-level', 'warn', '--tick-ms', String(TICK_MS), '--window-grace-ms', String(GRACE_MS)]);
  const pool = new Pool(daemon.url, { connections: 16 });
  const headers = { authorization: `Bearer ${TOKEN}` };
  try {
    for (let i = 0; i < ROLLOUTS; i++) {
      const spec = { id: `r${i}`, service: 'bench', baseline: 'v1', candidate: 'v2', window: WINDOW_MS, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 50, samplesMin: 1 }] }] };
      const response = await pool.request({ path: '/v1/rollouts', method: 'POST', headers, body: JSON.stringify(spec) });
      await response.body.dump();
    }
    const batch = Array.from({ length: SAMPLES_PER_BATCH }, (_, i) => JSON.stringify({ variant: i % 5 === 0 ? 'canary' : 'baseline', ok: true, latencyMs: 10 + i })).join('\n');
    const pid = daemon.child.pid!;
    const cpuBefore = processCpuSeconds(pid);
    const started = Date.now();
    let sent = 0;
    for (let second = 0; second < LOAD_SECONDS; second++) {
      const due = started + second * 1_000;
      if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await Promise.all(
        Array.from({ length: ROLLOUTS }, async (_, i) => {
          const response = await pool.request({ path: `/v1/rollouts/r${i}/samples`, method: 'POST', headers, body: batch });
          await response.body.dump();
          if (response.statusCode === 200) sent += SAMPLES_PER_BATCH;
        }),
      );
    }
    // Let the last windows close before reading the log.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + GRACE_MS + 2 * TICK_MS));
    const seconds = (Date.now() - started) / 1000;
    const cpuCores = (processCpuSeconds(pid) - cpuBefore) / seconds;
    const rssMb = processRssBytes(pid) / (1024 * 1024);
    await daemon.kill('SIGTERM');
    const log = EventLog.open(db, { readonly: true });
    const delays: number[] = [];
    try {
      for (let i = 0; i < ROLLOUTS; i++) {
        for (const event of log.read(`r${i}`)) {
          if (event.type === 'samples.window' && event.data.canary.count > 0) delays.push(event.at - (event.data.windowEndAt + GRACE_MS));
        }
      }
    } finally {
      log.close();
    }
    delays.sort((a, b) => a - b);
    return { cpuCores, rssMb, closeToDecisionMsP99: quantile(delays, 0.99), closeToDecisionMsP50: quantile(delays, 0.5), windows: delays.length, samplesPerSecond: sent / LOAD_SECONDS };
  } finally {
    await pool.close();
    await daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const measured = (pick: (r: Result) => number) => () => {
  const r = result!;
  return {
    value: pick(r),
    detail: `${ROLLOUTS.toLocaleString('en-US')} rollouts, ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s acknowledged in ${ROLLOUTS} requests/s; daemon CPU ${r.cpuCores.toFixed(2)} cores, RSS ${r.rssMb.toFixed(0)} MB; window closable → decision p50 ${r.closeToDecisionMsP50} ms, p99 ${r.closeToDecisionMsP99} ms over ${r.windows.toLocaleString('en-US')} windows (tick ${TICK_MS} ms, grace ${GRACE_MS} ms).`,
  };
};

export default defineSuite({
  name: 'daemon: 1,000 concurrent rollouts',
  async setup() {
    result = await runLoad();
  },
  cases: [
    {
      name: 'window closable → decision appended, p99',
      unit: 'ms',
      runs: 1,
      warmup: false,
      measure: measured((r) => r.closeToDecisionMsP99),
      note: `From a window's end + the ${GRACE_MS} ms grace (when it may close) to the \`at\` of the tick that appended it with its verdicts (the scheduler wakes at that moment, besides its ${TICK_MS} ms period).`,
    },
    { name: 'daemon CPU under that load', unit: 'cores', runs: 1, warmup: false, measure: measured((r) => r.cpuCores), note: 'user + system CPU of the daemon process / wall time.' },
    { name: 'daemon resident memory', unit: 'MB RSS', runs: 1, warmup: false, measure: measured((r) => r.rssMb), note: 'VmRSS of the daemon process at the end of the run.' },
  ],
});
