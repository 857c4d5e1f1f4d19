import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineSuite, type BenchmarkCase, type Measured } from '../lib/benchmark.js';
import { BASELINE_BIN, ensureBuilt, runNode, runSluice, SLUICE_BIN } from './sluiceProcess.js';

/**
 * Issue 12, decision 7: the CLI loads a command's code only when that command runs. Wall time of the built `sluice`
 * binary, a fresh process per run, against `node -e 0` (a process that loads nothing) measured in the same run:
 * `sluice --help` (target ≤ 0.3 s), and `sluice replay` / `sluice audit` of one default 6-hour rollout at 200 requests/s
 * (target ≤ 1 s each). The rollout's log is written by this build's `sluice simulate` at every run (a few seconds), so
 * it has the current log format and verdict rule.
 *
 * Two cases measure the CPU time of `sluice replay` / `audit` (the whole process, every thread) with the V8 flag the
 * CLI sets for them (cli/processTuning.ts: allocation-site pretenuring off) against V8's default, which a pretenuring
 * option given to node restores. With SLUICE_BENCH_BASELINE naming another checkout (sluiceProcess.ts), replay and
 * audit are also timed against that build's binary on the same log (docs/startup.md).
 */
const fixtureDir = join(tmpdir(), `sluice-bench-cli-${process.pid}`);
const sixHours = join(fixtureDir, 'six-hours.db');
const ROLLOUT_ID = 'six-hours';
const CPU_AT_EXIT = join(dirname(fileURLToPath(import.meta.url)), 'cpuAtExit.cjs');

function writeSixHourLog(): void {
  rmSync(fixtureDir, { recursive: true, force: true });
  mkdirSync(fixtureDir, { recursive: true });
  const spec = join(fixtureDir, 'spec.yaml');
  const traffic = join(fixtureDir, 'traffic.json');
  writeFileSync(spec, `id: ${ROLLOUT_ID}\nservice: checkout\nbaseline: v1\ncandidate: v2\n`);
  const arm = { errorRate: 0.01, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } };
  writeFileSync(traffic, JSON.stringify({ seed: 42, durationMs: 6 * 3_600_000, requestsPerSecond: 200, baseline: arm, canary: arm }));
  const partial = `${sixHours}.partial`;
  rmSync(partial, { force: true });
  const result = runSluice(['simulate', '--spec', spec, '--traffic', traffic, '--db', partial, '--json']);
  // Exit 1 is "did not complete within the model's 6 hours" (the default template's last stage is still baking).
  if (result.code !== 0 && result.code !== 1) throw new Error(`sluice simulate failed (${result.code}): ${result.stderr}`);
  renameSync(partial, sixHours);
  rmSync(`${partial}.lock`, { force: true });
}

const nodeReference = { name: 'node -e 0', measure: (): number => runNode(['-e', '0']) };

function run(args: readonly string[], expectCodes: readonly number[], bin: string, nodeArgs: readonly string[] = []): ReturnType<typeof runSluice> {
  const result = runSluice(args, bin, nodeArgs);
  if (!expectCodes.includes(result.code ?? -1)) throw new Error(`sluice ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(0, 2_000)}`);
  return result;
}

function timed(args: readonly string[], expectCodes: readonly number[] = [0], bin: string = SLUICE_BIN): () => Measured {
  return () => ({ value: run(args, expectCodes, bin).ms });
}

/** CPU ms of the whole `sluice ARGS` process (cpuAtExit.cjs), with `nodeArgs` given to node. */
function cpuOf(args: readonly string[], nodeArgs: readonly string[] = []): () => Measured {
  return () => {
    const { stderr } = run(args, [0], SLUICE_BIN, ['--require', CPU_AT_EXIT, ...nodeArgs]);
    const match = /sluice-bench-cpu-ms (\S+)\s*$/.exec(stderr);
    if (!match) throw new Error(`no CPU time printed by sluice ${args.join(' ')}: ${stderr.slice(-500)}`);
    return { value: Number(match[1]) };
  };
}

const replayArgs = ['replay', '--db', sixHours, '--rollout', ROLLOUT_ID];
const auditArgs = ['audit', '--db', sixHours, ROLLOUT_ID];

/** This build against the baseline build (SLUICE_BENCH_BASELINE), wall time, on the same log. */
const againstBaseline: BenchmarkCase[] =
  BASELINE_BIN === undefined
    ? []
    : [
        { name: 'sluice replay (the 6-hour rollout): this build vs SLUICE_BENCH_BASELINE', unit: 'ms', measure: timed(replayArgs), reference: { name: 'the baseline build', measure: timed(replayArgs, [0], BASELINE_BIN) } },
        { name: 'sluice audit ID (the same rollout): this build vs SLUICE_BENCH_BASELINE', unit: 'ms', measure: timed(auditArgs), reference: { name: 'the baseline build', measure: timed(auditArgs, [0], BASELINE_BIN) } },
      ];

export default defineSuite({
  name: 'cli: start-up and one-rollout commands (issue 12)',
  setup() {
    ensureBuilt();
    writeSixHourLog();
  },
  teardown() {
    rmSync(fixtureDir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'sluice --help',
      unit: 'ms',
      measure: timed(['--help']),
      reference: nodeReference,
      target: { valueMax: 300 },
      runs: 9,
      note: 'Answered from the command registry: no command module, commander, zod, SQLite or XState is loaded.',
    },
    {
      name: 'sluice audit --help',
      unit: 'ms',
      measure: timed(['audit', '--help']),
      reference: nodeReference,
      runs: 9,
      note: "Loads commander and the audit command's code only (the log and the machine, @sluice/core/replay: no zod, no yaml).",
    },
    {
      name: 'sluice replay --db (one 6-hour rollout at 200 rps)',
      unit: 'ms',
      measure: timed(replayArgs),
      reference: nodeReference,
      target: { valueMax: 1_000 },
      note: 'Reproduces every recorded decision of the default template over 6 hours of traffic.',
    },
    {
      name: 'sluice audit --db ID (the same rollout)',
      unit: 'ms',
      measure: timed(auditArgs),
      reference: nodeReference,
      target: { valueMax: 1_000 },
    },
    {
      name: 'sluice replay, CPU of the process: pretenuring off (the CLI sets it) vs V8 default',
      unit: 'ms CPU',
      measure: cpuOf(replayArgs),
      reference: { name: 'node --allocation-site-pretenuring', measure: cpuOf(replayArgs, ['--allocation-site-pretenuring']) },
      note: 'User + system CPU of the whole process, every thread (cpuAtExit.cjs): what the flag saves, less sensitive to a busy machine than wall time.',
    },
    {
      name: 'sluice audit ID, CPU of the process: pretenuring off vs V8 default',
      unit: 'ms CPU',
      measure: cpuOf(auditArgs),
      reference: { name: 'node --allocation-site-pretenuring', measure: cpuOf(auditArgs, ['--allocation-site-pretenuring']) },
    },
    ...againstBaseline,
  ],
});
