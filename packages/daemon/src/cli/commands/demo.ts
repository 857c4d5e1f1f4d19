import type { Command } from 'commander';
import { DEMO_DEFAULTS, runDemo } from '../../demo/runDemo.js';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/** `sluice demo`: the README's first command — a healthy rollout to 100% and a faulty one back to 0%, live. */
export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('Run two real rollouts on this machine: a healthy candidate promoted to 100%, a faulty one rolled back to 0%')
    .option('--dir <dir>', 'directory for the demo log, token and daemon log', DEMO_DEFAULTS.dir)
    .option('--fault-rate <rate>', 'share of the faulty candidate\'s requests that fail, 0–1', String(DEMO_DEFAULTS.faultRate))
    .option('--extra-latency-ms <ms>', 'latency the faulty candidate adds to every request', String(DEMO_DEFAULTS.extraLatencyMs))
    .option('--rps <n>', 'requests per second of the load generator', String(DEMO_DEFAULTS.requestsPerSecond))
    .option('--stage-seconds <s>', 'minimum time in each stage', String(DEMO_DEFAULTS.stageMs / 1000))
    .option('--json', 'print the result as JSON at the end')
    .action(async (flags: { dir: string; faultRate: string; extraLatencyMs: string; rps: string; stageSeconds: string; json?: boolean }) => {
      const faultRate = Number(flags.faultRate);
      const extraLatencyMs = Number(flags.extraLatencyMs);
      const requestsPerSecond = Number(flags.rps);
      const stageMs = Number(flags.stageSeconds) * 1000;
      const problems = [
        !(faultRate >= 0 && faultRate <= 1) && `--fault-rate must be a number within 0–1 (got ${JSON.stringify(flags.faultRate)})`,
        !(extraLatencyMs >= 0) && `--extra-latency-ms must be a number ≥ 0 (got ${JSON.stringify(flags.extraLatencyMs)})`,
        !(Number.isInteger(requestsPerSecond) && requestsPerSecond >= 10 && requestsPerSecond <= 5_000) && `--rps must be an integer within 10–5000 (got ${JSON.stringify(flags.rps)})`,
        !(stageMs >= 500) && `--stage-seconds must be a number ≥ 0.5 (got ${JSON.stringify(flags.stageSeconds)})`,
      ].filter((problem): problem is string => typeof problem === 'string');
      if (problems.length > 0) {
        io.err(problems.map((problem) => `sluice demo: ${problem}\n`).join(''));
        throw new CliExit(EXIT.usage);
      }
      const result = await runDemo({ dir: flags.dir, faultRate, extraLatencyMs, requestsPerSecond, stageMs, windowMs: DEMO_DEFAULTS.windowMs, out: (line) => io.out(`${line}\n`) });
      if (flags.json) {
        io.out(`${JSON.stringify(result)}\n`);
      } else {
        io.out(
          `\nhealthy rollout ${result.healthy.rolloutId}: ${result.healthy.outcome} in ${(result.healthy.durationMs / 1000).toFixed(1)}s\n` +
            `faulty rollout  ${result.faulty.rolloutId}: ${result.faulty.outcome} in ${(result.faulty.durationMs / 1000).toFixed(1)}s\n\n` +
            `Every input and decision is in the log: ${result.db}\n` +
            `Daemon log (one JSON line per decision): ${result.daemonLog}\n` +
            `Re-run the judge over the recorded inputs and check every decision:\n\n  ${result.replayCommand}\n\n` +
            `Ask the log why the faulty rollout rolled back (timeline, gate verdicts, the deciding evidence):\n\n` +
            `  ${result.replayCommand.replace('sluice replay', 'sluice audit').replace('--rollout ', '')}\n\n` +
            `See it as one HTML page (timeline, gate charts with their evidence, per-stage table; opens offline):\n\n` +
            `  ${result.reportCommand}\n`,
        );
      }
      if (result.healthy.outcome !== 'completed' || result.faulty.outcome !== 'rolledBack') throw new CliExit(EXIT.failure);
    });
}
