import type { Command } from 'commander';
import { EventLog, isSluiceError, verifyLog, type VerifyResult } from '@sluice/core';
import { existsSync } from 'node:fs';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/**
 * `sluice verify --db FILE [--json]`: recomputes every rollout's hash chain of a log file, offline (docs/cli.md).
 * Exit 0 when intact, 1 naming the first broken link, 2 when the file is missing or is not a Sluice log.
 */
export function registerVerify(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('Recompute every hash chain of an event log file; exit 1 naming the first broken link')
    .requiredOption('--db <file>', 'SQLite event log file')
    .option('--json', 'print the result as one JSON object', false)
    .action((options: { db: string; json: boolean }) => runVerify(options.db, options.json, io));
}

/** The `--json` output of `sluice verify`. */
export interface VerifyJson {
  ok: boolean;
  file: string;
  rollouts?: number;
  events?: number;
  broken?: VerifyResult['broken'];
  error?: { code: string; message: string };
}

function runVerify(file: string, json: boolean, io: CliIo): void {
  let log: EventLog;
  try {
    if (!existsSync(file)) throw new Error(`no event log at ${file}: the file does not exist — check the --db path`);
    log = EventLog.open(file, { readonly: true });
  } catch (error) {
    const code = isSluiceError(error) ? error.code : 'SLUICE_E_LOG_SCHEMA';
    const message = (error as Error).message;
    if (json) print(io, { ok: false, file, error: { code, message } });
    else io.err(`sluice verify: ${message}\n`);
    throw new CliExit(EXIT.usage);
  }
  let result: VerifyResult;
  try {
    result = verifyLog(log);
  } finally {
    log.close();
  }
  if (json) {
    print(io, { ok: result.ok, file, rollouts: result.rollouts, events: result.events, ...(result.broken ? { broken: result.broken } : {}) });
  } else if (result.ok) {
    io.out(`ok: ${file}: ${result.rollouts} rollout(s), ${result.events} event(s), every hash chain verifies\n`);
  } else {
    const broken = result.broken!;
    const where =
      broken.rolloutId === null ? `sequence ${broken.seq}` : `rollout ${broken.rolloutId} position ${broken.position}`;
    io.out(`BROKEN: ${file}: ${where}: ${broken.reason}\n`);
    io.out(`checked ${result.events} event(s) of ${result.rollouts} rollout(s) up to the first broken link\n`);
  }
  if (!result.ok) throw new CliExit(EXIT.failure);
}

function print(io: CliIo, value: VerifyJson): void {
  io.out(`${JSON.stringify(value)}\n`);
}
