import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineSuite, type BenchmarkCase, type Measured } from '../lib/benchmark.js';

/**
 * Resident memory of a process holding 1,000 active rollouts with open sample windows (target < 200 MB in total).
 * Each run is a fresh process (memoryProbe.ts) so other benchmarks' heaps do not count. The total includes everything
 * the probe loads before the first rollout — Node, tsx's TypeScript loader and its worker thread, @sluice/core with
 * zod, xstate and better-sqlite3 — about 110 MB that the compiled daemon needs less of; the detail gives both.
 */
const ROLLOUTS = 1_000;
const MB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
let dir = '';
let run = 0;

function probe(windows: number, baseline: number, canary: number): Measured {
  const dbFile = join(dir, `memory-${++run}.db`);
  const args = ['--expose-gc', '--import', 'tsx', '--conditions=sluice-source', join(here, 'memoryProbe.ts')];
  const child = spawnSync(process.execPath, [...args, String(ROLLOUTS), String(windows), String(baseline), String(canary), dbFile], {
    cwd: here,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`memory probe failed (${child.status}): ${child.stderr}`);
  const { rssBytes, rssBeforeBytes } = JSON.parse(child.stdout.trim().split('\n').pop()!) as { rssBytes: number; rssBeforeBytes: number };
  const perRolloutKiB = (rssBytes - rssBeforeBytes) / ROLLOUTS / 1024;
  return {
    value: rssBytes / MB,
    detail: `Process before the rollouts: ${(rssBeforeBytes / MB).toFixed(0)} MB; the rollouts add ${((rssBytes - rssBeforeBytes) / MB).toFixed(0)} MB, ${perRolloutKiB.toFixed(0)} KiB each.`,
  };
}

function memoryCase(name: string, windows: number, baseline: number, canary: number, note: string): BenchmarkCase {
  return { name, unit: 'MB RSS', runs: 3, warmup: false, measure: () => probe(windows, baseline, canary), target: { valueMax: 200 }, note };
}

export default defineSuite({
  name: 'core: memory of active rollouts',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-memory-'));
  },
  teardown() {
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    memoryCase(
      '1,000 rollouts, steady state',
      1,
      500,
      50,
      '1 open window per rollout holding 500 baseline and 50 canary samples (100 req/s, 10% canary, 5 s windows): latencies are kept raw (4 bytes each).',
    ),
    memoryCase(
      '1,000 busy rollouts at a window boundary',
      2,
      5_000,
      500,
      '2 open windows per rollout (the closing one and the next), each with 5,000 baseline and 500 canary samples (1,000 req/s per rollout).',
    ),
  ],
});
