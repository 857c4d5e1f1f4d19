import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineSuite, type BenchmarkCase } from '../lib/benchmark.js';
import { LEAN_LOG_HOURS, loadCore, REPLAY_WARMUPS, replayCpuSeconds, simulateLeanLog, type CoreApi, type ProbeLog, type SimulatedLog } from './leanLogProbe.js';

/**
 * Issue 12's targets for the log, on the rollout the issue measured: the default spec (canary 1% → ramp 10% → rollout
 * 100%, 5 s windows), 200 requests/s, a healthy canary, 6 hours (it ends in the ramp stage), written through a
 * RolloutSession as the daemon writes it. Bytes and events per rollout-hour, and the CPU time of replaying it.
 *
 * The previous main is measured in the same run when SLUICE_BENCH_BASELINE names a checkout of it with its
 * dependencies installed (docs/log.md, "Measured"):
 *   git worktree add /tmp/sluice-before 028425e && (cd /tmp/sluice-before && npx -y pnpm@10.34.8 install --frozen-lockfile)
 *   SLUICE_BENCH_BASELINE=/tmp/sluice-before npx -y pnpm@10.34.8 bench -- lean --no-write
 * It runs in child processes (leanLogProbe.ts imports that checkout's core); the reference column is its figure. Replay
 * times are CPU time whatever --clock says: what one replay costs, not what the machine's other jobs add.
 */
const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const probe = join(dirname(fileURLToPath(import.meta.url)), 'leanLogProbe.ts');
const baselineRoot = process.env['SLUICE_BENCH_BASELINE'];

let dir = '';
let current: SimulatedLog;
let baseline: SimulatedLog | null = null;
let core: CoreApi;
let log: ProbeLog;

/** Runs the probe in a child process (with this process's loader flags, and `v8Flags`) and parses its JSON line. */
function runProbe(root: string, mode: string, file: string, v8Flags: readonly string[] = []): Record<string, number> {
  const result = spawnSync(process.execPath, [...process.execArgv, ...v8Flags, probe, root, mode, file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  if (result.status !== 0) throw new Error(`leanLogProbe ${mode} in ${root} failed (${result.status}): ${result.stderr.slice(-2_000)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

const perHour = (simulated: SimulatedLog, of: 'bytes' | 'events') => simulated[of] / simulated.hours;

function withBaseline(name: string, measure: (simulated: SimulatedLog) => number): Pick<BenchmarkCase, 'reference'> {
  if (baselineRoot === undefined) return {};
  return { reference: { name, measure: () => measure(baseline!) } };
}

const sizes = `default spec, ${LEAN_LOG_HOURS} h at 200 requests/s, healthy canary (5 s windows: 720 an hour)`;

export default defineSuite({
  name: 'core: the lean log (issue 12)',
  async setup() {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-lean-'));
    core = await loadCore(repositoryRoot);
    current = simulateLeanLog(core, join(dir, 'current.db'));
    if (baselineRoot !== undefined) baseline = runProbe(baselineRoot, 'simulate', join(dir, 'baseline.db')) as unknown as SimulatedLog;
    log = core.EventLog.open(join(dir, 'current.db'), { readonly: true });
  },
  teardown() {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'log bytes per rollout-hour',
      unit: 'MB',
      runs: 1,
      warmup: false,
      note: `${sizes}: the SQLite file's size after the writer closed it, per hour of the rollout. Reference: the previous main (SLUICE_BENCH_BASELINE), which logged every gate verdict and deflated the window histograms.`,
      measure: () => ({ value: perHour(current, 'bytes') / 1e6, detail: `${(current.bytes / 1e6).toFixed(1)} MB, ${current.events.toLocaleString('en-US')} events in ${current.hours.toFixed(2)} h.` }),
      ...withBaseline('previous main', (b) => perHour(b, 'bytes') / 1e6),
      target: { valueMax: 0.5 },
    },
    {
      name: 'events per rollout-hour',
      unit: 'events',
      runs: 1,
      warmup: false,
      note: `${sizes}: events in the log per hour of the rollout (one samples.window per window, and the decisions).`,
      measure: () => perHour(current, 'events'),
      ...withBaseline('previous main', (b) => perHour(b, 'events')),
      target: { valueMax: 500 },
    },
    {
      name: 'replay of one rollout, in process (CPU)',
      unit: 's',
      note: `${sizes}: one replay(log, id, { keepDecisions: false }) — read, fold every input through the machine and the gates, compare every decision the log holds — after a first one in the same process, CPU time. Reference: the same in the previous main (a child process per run).`,
      measure: () => replayCpuSeconds(core, log),
      ...(baselineRoot === undefined ? {} : { reference: { name: 'previous main', measure: () => runProbe(baselineRoot, 'replay', join(dir, 'baseline.db'))['seconds']! } }),
      target: { valueMax: 0.3 },
    },
    {
      name: 'replay of one rollout, first in a process (CPU)',
      unit: 's',
      runs: 3,
      warmup: false,
      note: `${sizes}: the first replay in a fresh process (code not yet optimised by the JIT), as \`sluice replay\` runs it, CPU time of the replay alone (not the process start).`,
      measure: () => runProbe(repositoryRoot, 'replay-cold', join(dir, 'current.db'))['seconds']!,
      ...(baselineRoot === undefined ? {} : { reference: { name: 'previous main', measure: () => runProbe(baselineRoot, 'replay-cold', join(dir, 'baseline.db'))['seconds']! } }),
    },
    {
      name: 'replay of one rollout, in a process with pretenuring off (CPU)',
      unit: 's',
      note: `${sizes}: a replay after ${REPLAY_WARMUPS} others in a child process started with --no-allocation-site-pretenuring — the V8 flag \`sluice replay\`, \`audit\`, \`report\` and \`simulate\` set for themselves (docs/startup.md), and a program that replays often can set for its process; a library cannot set it for its host. Reference: the same child process with V8's default.`,
      measure: () => runProbe(repositoryRoot, 'replay-warm', join(dir, 'current.db'), ['--no-allocation-site-pretenuring'])['seconds']!,
      reference: { name: "V8's default (pretenuring on)", measure: () => runProbe(repositoryRoot, 'replay-warm', join(dir, 'current.db'))['seconds']! },
      target: { valueMax: 0.3 },
    },
    {
      name: 'replay of one rollout, first in a process with pretenuring off (CPU)',
      unit: 's',
      runs: 5,
      warmup: false,
      note: `${sizes}: the first replay in a fresh process started with --no-allocation-site-pretenuring, as \`sluice replay\` runs it. Reference: the same with V8's default.`,
      measure: () => runProbe(repositoryRoot, 'replay-cold', join(dir, 'current.db'), ['--no-allocation-site-pretenuring'])['seconds']!,
      reference: { name: "V8's default (pretenuring on)", measure: () => runProbe(repositoryRoot, 'replay-cold', join(dir, 'current.db'))['seconds']! },
    },
  ],
});
