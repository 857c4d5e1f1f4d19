import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSuite, type Measured } from '../lib/benchmark.js';
import { ensureBuilt, runNode, runSluice } from './sluiceProcess.js';

/**
 * Issue 12, decision 7: the CLI loads a command's code only when that command runs. Wall time of the built `sluice`
 * binary, a fresh process per run, against `node -e 0` (a process that loads nothing) measured in the same run:
 * `sluice --help` (target ≤ 0.3 s), and `sluice replay` / `sluice audit` of one default 6-hour rollout at 200 requests/s
 * (target ≤ 1 s each). The rollout's log is written by this build's `sluice simulate` at every run (a few seconds), so
 * it has the current log format and verdict rule.
 */
const fixtureDir = join(tmpdir(), `sluice-bench-cli-${process.pid}`);
const sixHours = join(fixtureDir, 'six-hours.db');
const ROLLOUT_ID = 'six-hours';

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

function timed(args: readonly string[], expectCodes: readonly number[] = [0]): () => Measured {
  return () => {
    const result = runSluice(args);
    if (!expectCodes.includes(result.code ?? -1)) throw new Error(`sluice ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(0, 2_000)}`);
    return { value: result.ms };
  };
}

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
      note: "Loads commander and the audit command's code only.",
    },
    {
      name: 'sluice replay --db (one 6-hour rollout at 200 rps)',
      unit: 'ms',
      measure: timed(['replay', '--db', sixHours, '--rollout', ROLLOUT_ID]),
      reference: nodeReference,
      target: { valueMax: 1_000 },
      note: 'Reproduces every recorded decision of the default template over 6 hours of traffic.',
    },
    {
      name: 'sluice audit --db ID (the same rollout)',
      unit: 'ms',
      measure: timed(['audit', '--db', sixHours, ROLLOUT_ID]),
      reference: nodeReference,
      target: { valueMax: 1_000 },
    },
  ],
});
