import type { Command } from 'commander';
import { EventLog, isSluiceError, runSimulation, sessionDriver, type SimulationResult } from '@sluice/core';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';
import { readSpecFile } from '../specFile.js';
import { readTrafficModelFile } from '../trafficModelFile.js';

/**
 * `sluice simulate --spec SPEC --traffic MODEL.json [--db FILE] [--apply-delay-ms MS] [--json]`: runs a whole rollout
 * offline in virtual time against a traffic model (docs/simulate.md). With `--db` the inputs and decisions are kept in
 * an event log, so `sluice replay` and `sluice verify` work on it. Exit 0 when the rollout completed, 1 otherwise,
 * 2 for bad flags or a missing or invalid spec or traffic model.
 */
export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('Run a whole rollout offline in virtual time against a traffic model; print outcome, stages and decisions')
    .requiredOption('--spec <file>', 'rollout spec, YAML or JSON')
    .requiredOption('--traffic <file>', 'traffic model, JSON (docs/simulate.md)')
    .option('--db <file>', 'keep the event log in this SQLite file (must not hold a rollout with the same id)')
    .option('--apply-delay-ms <ms>', 'delay before the simulated adapter applies a desired weight', '0')
    .option('--json', 'print the result as one JSON object', false)
    .action((flags: { spec: string; traffic: string; db?: string; applyDelayMs: string; json: boolean }) => runSimulate(flags, io));
}

function runSimulate(flags: { spec: string; traffic: string; db?: string; applyDelayMs: string; json: boolean }, io: CliIo): void {
  const applyDelayMs = Number(flags.applyDelayMs);
  if (!Number.isInteger(applyDelayMs) || applyDelayMs < 0 || applyDelayMs > 3_600_000) {
    io.err('sluice simulate: --apply-delay-ms must be an integer number of ms within 0–3600000\n');
    throw new CliExit(EXIT.usage);
  }
  const { spec } = readSpecFile(flags.spec, 'simulate', io);
  const model = readTrafficModelFile(flags.traffic, 'simulate', io);
  let result: SimulationResult;
  if (flags.db) {
    const log = openLog(flags.db, io);
    try {
      result = runSimulation(spec, model, { applyDelayMs, driver: (s, at) => sessionDriver(log, s, at) });
    } catch (error) {
      if (!(isSluiceError(error) && error.code === 'SLUICE_E_ROLLOUT_EXISTS')) throw error;
      io.err(`sluice simulate: ${flags.db} already holds a rollout "${spec.id}" — give the spec another id, or pass another --db\n`);
      throw new CliExit(EXIT.usage);
    } finally {
      log.close();
    }
  } else {
    result = runSimulation(spec, model, { applyDelayMs });
  }
  if (flags.json) io.out(`${JSON.stringify(result)}\n`);
  else io.out(formatResult(result, flags.db));
  if (result.outcome !== 'completed') throw new CliExit(EXIT.failure);
}

/** A --db that cannot be opened or is not a Sluice log is a bad argument (exit 2), not a rollout outcome. */
function openLog(file: string, io: CliIo): EventLog {
  try {
    return EventLog.open(file);
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    // A log another process writes to is not a bad path: its message already names the holder and what to do.
    const hint = error.code === 'SLUICE_E_LOG_LOCKED' ? '' : ' — --db must be a Sluice event log or a path where a new one can be created';
    io.err(`sluice simulate: ${error.message}${hint}\n`);
    throw new CliExit(EXIT.usage);
  }
}

function formatResult(result: SimulationResult, db: string | undefined): string {
  const lines = [`outcome: ${result.outcome} at ${seconds(result.endedAtMs)}`];
  if (result.rollbackStartedAtMs !== null) lines.push(`rollback started at ${seconds(result.rollbackStartedAtMs)}`);
  for (const stage of result.stages) lines.push(`  stage ${stage.name}: ${seconds(stage.enteredAtMs)} → ${stage.exitedAtMs === null ? '…' : seconds(stage.exitedAtMs)}`);
  lines.push(`decisions (${result.decisions.length} shown of ${result.decisionCount}; unchanged gate verdicts left out):`);
  for (const d of result.decisions) {
    const what = d.type === 'gate.evaluated' ? `${d.data.gate} ${d.data.verdict}: ${d.data.evidence.summary}` : d.type === 'rollback.started' ? `${d.data.reason}: ${d.data.evidence.summary}` : JSON.stringify(d.data);
    lines.push(`  ${seconds(d.atMs).padStart(9)} ${d.type} ${what}`);
  }
  if (db) lines.push(`event log: ${db} (sluice replay --db ${db}; sluice verify --db ${db})`);
  return `${lines.join('\n')}\n`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
