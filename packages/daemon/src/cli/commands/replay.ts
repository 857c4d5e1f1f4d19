import type { Command } from 'commander';
// The log, the machine and replay only: the spec parser (zod, yaml) is imported for --spec alone (docs/startup.md).
import { EventLog, isSluiceError, replay, SluiceError, type Divergence, type OutcomeComparison, type ReplayResult, type RolloutSpec } from '@sluice/core/replay';
import { existsSync } from 'node:fs';
import { readBoundedFile, unreadableReason } from '../boundedFile.js';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/**
 * `sluice replay --db FILE [--rollout ID] [--spec OTHER] [--json]`: feeds the recorded inputs to the machine again,
 * offline (docs/cli.md). Exit 0 when every recorded decision is reproduced, 1 on a divergence, 2 for bad arguments.
 * With --spec it is a what-if: it prints how the outcome would have differed and exits 0.
 */
export function registerReplay(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description('Replay recorded inputs through the machine; exit 1 when a recorded decision is not reproduced')
    .requiredOption('--db <file>', 'SQLite event log file')
    .option('--rollout <id>', 'replay only this rollout (default: every rollout in the log)')
    .option('--spec <file>', 'what-if: replay with this spec instead of the recorded one and compare the outcomes')
    .option('--json', 'print the result as one JSON object', false)
    .action((options: ReplayOptions) => runReplay(options, io));
}

interface ReplayOptions {
  db: string;
  rollout?: string;
  spec?: string;
  json: boolean;
}

/** Divergences printed per rollout (text) and included per rollout (JSON); all are counted. */
export const DIVERGENCES_SHOWN_MAX = 20;

/** The `--json` output of `sluice replay`. */
export interface ReplayJson {
  ok: boolean;
  file: string;
  mode?: 'reproduce' | 'whatIf';
  rollouts?: ReplayRolloutJson[];
  error?: { code: string; message: string };
}

export interface ReplayRolloutJson {
  rolloutId: string;
  reproduced: boolean;
  inputs: number;
  recordedDecisions: number;
  recomputedDecisions: number;
  divergenceCount: number;
  divergences: Divergence[];
  outcome: OutcomeComparison;
}

async function runReplay(options: ReplayOptions, io: CliIo): Promise<void> {
  let log: EventLog;
  let spec: RolloutSpec | undefined;
  try {
    if (!existsSync(options.db)) throw new Error(`no event log at ${options.db}: the file does not exist — check the --db path`);
    if (options.spec !== undefined) spec = await readSpec(options.spec);
    log = EventLog.open(options.db, { readonly: true });
  } catch (error) {
    usageError(options, io, error);
  }
  const results: ReplayResult[] = [];
  try {
    const ids = options.rollout === undefined ? log.listRollouts().map((r) => r.rolloutId) : [options.rollout];
    // Only counts and outcomes are printed, so the evidence of every recomputed gate verdict need not stay in memory.
    for (const id of ids) results.push(replay(log, id, spec === undefined ? { keepDecisions: false } : { spec, keepDecisions: false }));
  } catch (error) {
    if (isSluiceError(error) && error.code === 'SLUICE_E_ROLLOUT_NOT_FOUND') usageError(options, io, error);
    throw error;
  } finally {
    log.close();
  }
  const whatIf = spec !== undefined;
  const ok = whatIf || results.every((r) => r.reproduced);
  if (options.json) {
    print(io, { ok, file: options.db, mode: whatIf ? 'whatIf' : 'reproduce', rollouts: results.map(toJson) });
  } else {
    for (const result of results) io.out(whatIf ? describeWhatIf(result) : describeReproduce(result));
    if (results.length === 0) io.out(`${options.db}: no rollouts in this log\n`);
  }
  if (!ok) throw new CliExit(EXIT.failure);
}

async function readSpec(file: string): Promise<RolloutSpec> {
  const { parseSpecText, SPEC_LIMITS } = await import('@sluice/core');
  let text: string;
  try {
    text = readBoundedFile(file, SPEC_LIMITS.bytesMax);
  } catch (error) {
    // A spec error, not a log error: the log was fine, the --spec file is what to fix.
    throw new SluiceError('SLUICE_E_SPEC_INVALID', `cannot read spec file ${file}: ${unreadableReason(error)}`, { cause: error });
  }
  return parseSpecText(text, file);
}

function usageError(options: ReplayOptions, io: CliIo, error: unknown): never {
  const code = isSluiceError(error) ? error.code : 'SLUICE_E_LOG_SCHEMA';
  const message = (error as Error).message;
  if (options.json) print(io, { ok: false, file: options.db, error: { code, message } });
  else io.err(`sluice replay: ${message}\n`);
  throw new CliExit(EXIT.usage);
}

function toJson(result: ReplayResult): ReplayRolloutJson {
  return {
    rolloutId: result.rolloutId,
    reproduced: result.reproduced,
    inputs: result.inputs,
    recordedDecisions: result.recordedDecisions,
    recomputedDecisions: result.recomputedDecisions,
    divergenceCount: result.divergenceCount,
    divergences: result.divergences.slice(0, DIVERGENCES_SHOWN_MAX),
    outcome: result.comparison,
  };
}

function describeReproduce(result: ReplayResult): string {
  if (result.reproduced) {
    return `ok: ${result.rolloutId}: ${result.inputs} input(s), all ${result.recordedDecisions} recorded decision(s) reproduced\n`;
  }
  const lines = [`DIVERGED: ${result.rolloutId}: ${result.divergenceCount} divergence(s) in ${result.recordedDecisions} recorded decision(s)`];
  for (const d of result.divergences.slice(0, DIVERGENCES_SHOWN_MAX)) {
    lines.push(`  position ${d.position} (input at ${d.inputPosition}): recorded ${show(d.recorded)}; recomputed ${show(d.recomputed)}`);
  }
  if (result.divergenceCount > DIVERGENCES_SHOWN_MAX) lines.push(`  … and ${result.divergenceCount - DIVERGENCES_SHOWN_MAX} more (use --json)`);
  return `${lines.join('\n')}\n`;
}

function describeWhatIf(result: ReplayResult): string {
  return `what-if ${result.rolloutId}: ${result.comparison.sentence} (${result.recomputedDecisions} decision(s) recomputed from ${result.inputs} input(s))\n`;
}

function show(decision: Divergence['recorded']): string {
  return decision === null ? 'nothing' : `${decision.type} ${JSON.stringify(decision.data)}`;
}

function print(io: CliIo, value: ReplayJson): void {
  io.out(`${JSON.stringify(value)}\n`);
}
