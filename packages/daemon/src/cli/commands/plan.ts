import type { Command } from 'commander';
import { planRollout, plannedTrafficFromFlags, plannedTrafficFromModel, PLAN_SEEDS_MAX, SpecValidationError, type PlannedTraffic, type RolloutSpec } from '@sluice/core';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';
import { renderPlan } from '../plan/renderPlan.js';
import { readSpecFile } from '../specFile.js';
import { readTrafficModelFile } from '../trafficModelFile.js';

/**
 * `sluice plan SPEC (--traffic MODEL | --rps N --error-rate P | --prometheus) [--json]`: the pre-flight power analysis
 * (docs/plan.md). Per stage: expected canary requests and errors, the smallest regression each comparative gate can
 * detect within the stage, expected detection delays for standard regressions, the expected time for a healthy release
 * to pass, and warnings with what would fix them. Exit 0 with no warning, 1 when the plan warns, 2 for bad arguments.
 */
export function registerPlan(program: Command, io: CliIo): void {
  program
    .command('plan')
    .description('Pre-flight: what each stage of a spec can prove at a given traffic, and how fast it catches regressions')
    .argument('<spec>', 'rollout spec, YAML or JSON (- for stdin)')
    .option('--traffic <file>', 'traffic model, JSON (docs/simulate.md): its baseline arm at the start')
    .option('--rps <n>', 'requests per second of the service, both versions together')
    .option('--error-rate <p>', "the baseline's error rate as a fraction (0.001 = 0.1%)")
    .option('--latency-median-ms <ms>', 'median latency, ms (default 40; with --rps)')
    .option('--latency-sigma <s>', 'standard deviation of the log of latency (default 0.6; with --rps)')
    .option('--prometheus', "estimate the traffic from the spec's Prometheus source over the last --days", false)
    .option('--days <n>', 'days of history for --prometheus', '7')
    .option('--seeds <n>', `simulated runs per scenario and stage, 0–${PLAN_SEEDS_MAX} (0: analytic figures only)`, '100')
    .option('--json', 'print the plan as one JSON object', false)
    .action((specFile: string, flags: PlanFlags) => runPlan(specFile, flags, io));
}

interface PlanFlags {
  traffic?: string;
  rps?: string;
  errorRate?: string;
  latencyMedianMs?: string;
  latencySigma?: string;
  prometheus: boolean;
  days: string;
  seeds: string;
  json: boolean;
}

async function runPlan(specFile: string, flags: PlanFlags, io: CliIo): Promise<void> {
  const seeds = Number(flags.seeds);
  if (!Number.isInteger(seeds) || seeds < 0 || seeds > PLAN_SEEDS_MAX) usage(io, `--seeds must be an integer within 0–${PLAN_SEEDS_MAX}, got "${flags.seeds}"`);
  const { spec } = readSpecFile(specFile, 'plan', io);
  const traffic = await trafficOf(spec, flags, io);
  const plan = planRollout(spec, traffic, { seeds });
  if (flags.json) io.out(`${JSON.stringify(plan)}\n`);
  else io.out(renderPlan(spec, plan));
  if (plan.warnings.length > 0) throw new CliExit(EXIT.failure);
}

async function trafficOf(spec: RolloutSpec, flags: PlanFlags, io: CliIo): Promise<PlannedTraffic> {
  const usesFlags = flags.rps !== undefined || flags.errorRate !== undefined;
  const chosen = [flags.traffic !== undefined, usesFlags, flags.prometheus].filter(Boolean).length;
  if (chosen > 1) usage(io, 'give one of --traffic, --rps/--error-rate or --prometheus');
  if (flags.traffic !== undefined) return plannedTrafficFromModel(readTrafficModelFile(flags.traffic, 'plan', io), `traffic model ${flags.traffic}`);
  if (usesFlags) {
    if (flags.rps === undefined || flags.errorRate === undefined) usage(io, '--rps and --error-rate go together (e.g. --rps 200 --error-rate 0.001)');
    const numbers: Record<string, number> = { requestsPerSecond: numberOf(flags.rps!) };
    numbers.errorRate = numberOf(flags.errorRate!);
    if (flags.latencyMedianMs !== undefined) numbers.latencyMedianMs = numberOf(flags.latencyMedianMs);
    if (flags.latencySigma !== undefined) numbers.latencySigma = numberOf(flags.latencySigma);
    const source = `--rps ${flags.rps} --error-rate ${flags.errorRate}`;
    try {
      return plannedTrafficFromFlags(numbers as Parameters<typeof plannedTrafficFromFlags>[0], source);
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      usage(io, error.message.replace(/requestsPerSecond/g, '--rps').replace(/errorRate/g, '--error-rate').replace(/latencyMedianMs/g, '--latency-median-ms').replace(/latencySigma/g, '--latency-sigma'));
    }
  }
  if (flags.prometheus) {
    if (spec.sources.prometheus === undefined) usage(io, `--prometheus needs a spec with sources.prometheus; ${spec.id} has none — give --traffic or --rps/--error-rate`);
    const days = Number(flags.days);
    if (!(days > 0 && days <= 90)) usage(io, `--days must be a number of days within (0, 90], got "${flags.days}"`);
    const { plannedTrafficFromPrometheus } = await import('../../sources/prometheusTraffic.js');
    try {
      return await plannedTrafficFromPrometheus(spec, days, Date.now());
    } catch (error) {
      io.err(`sluice plan: could not estimate the traffic from Prometheus: ${(error as Error).message}\n`);
      throw new CliExit(EXIT.failure);
    }
  }
  return usage(io, 'say what traffic to plan for: --traffic MODEL, --rps N --error-rate P, or --prometheus (spec with sources.prometheus)');
}

function numberOf(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function usage(io: CliIo, message: string): never {
  io.err(`sluice plan: ${message}\n`);
  throw new CliExit(EXIT.usage);
}
