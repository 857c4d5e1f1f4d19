import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, RolloutSession } from '@sluice/core';
import { defineSuite, type BenchmarkCase, type Measured } from '../lib/benchmark.js';
import { processCpuSeconds, processRssBytes } from './processStats.js';
import { ensureHistoryLog, historyLogName, WINDOWS_PER_ROLLOUT } from './historyLog.js';
import { BASELINE_BIN, ensureBuilt, readyAfterMs, SLUICE_BIN, spawnSluiceDaemon } from './sluiceProcess.js';

/**
 * Issue 12, decision 6: a daemon's start-up reads the rollouts it drives, not the log's history. `sluice daemon` (the
 * built binary) is started on logs holding 100 and 10,000 ended rollouts (plus 10 active ones) and timed from spawn to
 * its first `/readyz` 200; its resident memory is read from /proc at that moment. The reference is the same start on
 * an empty log. The last case times what start-up did before: folding every ended rollout, in-process.
 *
 * The logs are built once per log format and kept in the OS temp directory (historyLogName). Each suite run works on
 * copies: the first (warm-up) start on a copy migrates it, verifies the whole log and writes a checkpoint, as the first
 * start after an upgrade does; the timed starts are restarts, as after a deploy or a crash (file cache warm).
 *
 * With SLUICE_BENCH_BASELINE naming another checkout (sluiceProcess.ts), two more cases start this build and that one
 * on copies of the same logs, interleaved run by run: the reference column is the other build (docs/startup.md).
 */
const ACTIVE = 10;
const fixtureDir = join(tmpdir(), 'sluice-bench-history');
const runDir = join(tmpdir(), `sluice-bench-history-run-${process.pid}`);
const TOKEN = 'bench-token-0123456789abcdef01234';

const fixture = (ended: number): string => join(fixtureDir, historyLogName(ended, ACTIVE));

interface Start {
  readyMs: number;
  rssMb: number;
  /** CPU the daemon process used until ready (less sensitive than wall time to a busy machine). */
  cpuMs: number;
}

/** The working copy of a fixture for this run (`undefined`: an empty log), made in setup; `build` keeps each build's apart. */
const working = (ended: number | undefined, build: 'this' | 'baseline' = 'this'): string => join(runDir, `${build === 'this' ? '' : 'baseline-'}ended-${ended ?? 0}.db`);

/** Starts `sluice daemon` (of `bin`) on `db`, waits for ready, reads its RSS, stops it (SIGTERM, waits for the exit). */
async function startOnce(db: string, bin: string = SLUICE_BIN): Promise<Start> {
  const tokenFile = join(runDir, 'token');
  const daemon = await spawnSluiceDaemon(['--db', db, '--token-file', tokenFile, '--log-level', 'warn'], {}, bin);
  try {
    const readyMs = await readyAfterMs(daemon);
    const rssMb = processRssBytes(daemon.child.pid!) / (1024 * 1024);
    const cpuMs = processCpuSeconds(daemon.child.pid!) * 1000;
    return { readyMs, rssMb, cpuMs };
  } finally {
    await daemon.kill('SIGTERM');
  }
}

const readyCase = (ended: number) => async (): Promise<Measured> => {
  const { readyMs, rssMb, cpuMs } = await startOnce(working(ended));
  return { value: readyMs, detail: `CPU to ready ${cpuMs.toFixed(0)} ms, RSS ${rssMb.toFixed(0)} MB` };
};
const rssCase = (ended: number | undefined) => async (): Promise<number> => (await startOnce(working(ended))).rssMb;
const cpuCase = (ended: number | undefined) => async (): Promise<number> => (await startOnce(working(ended))).cpuMs;
const emptyReady = async (): Promise<number> => (await startOnce(working(undefined))).readyMs;

/** Ready time of this build, or of the baseline build, on its own copy of a log; RSS and CPU in the detail. */
const buildReady = (ended: number | undefined, build: 'this' | 'baseline') => async (): Promise<Measured> => {
  const { readyMs, rssMb, cpuMs } = await startOnce(working(ended, build), build === 'this' ? SLUICE_BIN : BASELINE_BIN!);
  return { value: readyMs, detail: `CPU to ready ${cpuMs.toFixed(0)} ms, RSS ${rssMb.toFixed(0)} MB` };
};

/** This build against the baseline build, when SLUICE_BENCH_BASELINE is set. */
const againstBaseline = (ended: number | undefined): BenchmarkCase[] =>
  BASELINE_BIN === undefined
    ? []
    : [
        {
          name: `sluice daemon spawn → /readyz 200, ${ended === undefined ? 'empty log' : `${ended.toLocaleString('en-US')} ended + ${ACTIVE} active rollouts`}: this build vs SLUICE_BENCH_BASELINE`,
          unit: 'ms',
          measure: buildReady(ended, 'this'),
          reference: { name: 'the baseline build', measure: buildReady(ended, 'baseline') },
          note: "The detail is this build's CPU to ready and RSS at ready; the baseline's are in the run's log only.",
        },
      ];

/** What every start did before: fold every rollout of the log (RolloutSession.load), ended ones included. */
function foldEveryRollout(ended: number): Measured {
  const log = EventLog.open(fixture(ended), { readonly: true });
  try {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const sessions: RolloutSession[] = [];
    for (const { rolloutId } of log.listRollouts()) sessions.push(RolloutSession.load(log, rolloutId));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / (1024 * 1024);
    return { value: ms, detail: `${sessions.length} sessions kept, heap +${heapMb.toFixed(0)} MB` };
  } finally {
    log.close();
  }
}

export default defineSuite({
  name: 'daemon: start-up on a log with history (issue 12)',
  setup() {
    ensureBuilt();
    mkdirSync(fixtureDir, { recursive: true });
    for (const ended of [100, 10_000]) ensureHistoryLog(fixture(ended), ended, ACTIVE);
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    for (const ended of [100, 10_000]) copyFileSync(fixture(ended), working(ended));
    if (BASELINE_BIN !== undefined) copyFileSync(fixture(10_000), working(10_000, 'baseline'));
    writeFileSync(join(runDir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  },
  cases: [
    {
      name: `sluice daemon spawn → /readyz 200, 100 ended + ${ACTIVE} active rollouts`,
      unit: 'ms',
      measure: readyCase(100),
      reference: { name: 'the same on an empty log', measure: emptyReady },
      note: `Each ended rollout ran ${WINDOWS_PER_ROLLOUT} judged windows; wall time of the built binary, file cache warm.`,
    },
    {
      name: `sluice daemon spawn → /readyz 200, 10,000 ended + ${ACTIVE} active rollouts`,
      unit: 'ms',
      measure: readyCase(10_000),
      reference: { name: 'the same on an empty log', measure: emptyReady },
      target: { valueMax: 2_000 },
      note: 'Target ≤ 2 s. A restart: the log has a verification checkpoint from the warm-up start.',
    },
    {
      name: 'CPU of the daemon process to ready, 10,000 ended rollouts',
      unit: 'ms',
      measure: cpuCase(10_000),
      reference: { name: 'CPU to ready, empty log', measure: cpuCase(undefined) },
      runs: 3,
      note: 'User + system CPU of the process at its first /readyz 200 (/proc): what a busy machine does not inflate.',
    },
    {
      name: 'RSS at ready, 100 ended rollouts',
      unit: 'MB',
      measure: rssCase(100),
      reference: { name: 'RSS at ready, empty log', measure: rssCase(undefined) },
      runs: 3,
    },
    {
      name: 'RSS at ready, 10,000 ended rollouts',
      unit: 'MB',
      measure: rssCase(10_000),
      reference: { name: 'RSS at ready, empty log', measure: rssCase(undefined) },
      runs: 3,
      note: 'Memory independent of history: compare with the 100-ended row (SQLite page caches are bounded at 16 MB per connection).',
    },
    ...againstBaseline(undefined),
    ...againstBaseline(10_000),
    {
      name: 'before: fold every rollout of the 10,000-ended log (in-process)',
      unit: 'ms',
      measure: () => foldEveryRollout(10_000),
      runs: 3,
      note: 'What start-up did before issue 12 (RolloutSession.load for every rollout), without the process start.',
    },
  ],
  teardown() {
    rmSync(runDir, { recursive: true, force: true });
  },
});
