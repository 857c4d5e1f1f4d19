import type { Command } from 'commander';
import { EventLog, isSluiceError, readChainKeyFile, verifyLog, type ChainKey, type VerifyResult } from '@sluice/core';
import { existsSync } from 'node:fs';
import { IngestJournal, type JournalVerifyResult } from '../../ingest/IngestJournal.js';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/**
 * `sluice verify --db FILE [--chain-key-file KEY] [--json]`: recomputes every chain of a log file, offline, beside a
 * running daemon too (docs/cli.md, docs/reliability.md): each rollout's hash chain, the log-wide chain (sequence numbers,
 * keyed with the key), every rollout's head, and the seal of every ingest journal row.
 * Exit 0 when intact, 1 naming the first broken link, 2 when the file is missing, damaged (empty, truncated, bytes
 * overwritten) or not a Sluice log, or the key is not the log's.
 */
export function registerVerify(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('Recompute every chain of an event log file (and its ingest journal); exit 1 naming the first broken link')
    .requiredOption('--db <file>', 'SQLite event log file')
    .option('--chain-key-file <file>', 'the chain key of a keyed log: without it, keyed links and seals are not checked')
    .option('--json', 'print the result as one JSON object', false)
    .action((options: { db: string; json: boolean; chainKeyFile?: string }) => runVerify(options.db, options.json, options.chainKeyFile, io));
}

/** The `--json` output of `sluice verify`. */
export interface VerifyJson {
  ok: boolean;
  file: string;
  rollouts?: number;
  events?: number;
  broken?: VerifyResult['broken'];
  head?: VerifyResult['head'];
  keyed?: VerifyResult['keyed'];
  journal?: { rows: number; checked: boolean; forged?: JournalVerifyResult['forged'] };
  error?: { code: string; message: string };
}

function runVerify(file: string, json: boolean, chainKeyFile: string | undefined, io: CliIo): void {
  const fail = (code: string, message: string): never => {
    if (json) print(io, { ok: false, file, error: { code, message } });
    else io.err(`sluice verify: ${message}\n`);
    throw new CliExit(EXIT.usage);
  };
  let log: EventLog | undefined;
  let result: VerifyResult;
  let journal: JournalVerifyResult;
  try {
    if (!existsSync(file)) throw new Error(`no event log at ${file}: the file does not exist — check the --db path`);
    const chainKey: ChainKey | undefined = chainKeyFile === undefined ? undefined : readChainKeyFile(chainKeyFile);
    log = EventLog.open(file, { readonly: true, ...(chainKey ? { chainKey } : {}) });
    // A damaged page is found where it is read: SQLite's own check first names it, before any chain is recomputed.
    const damage = log.quickCheck();
    if (damage) throw Object.assign(new Error(`${file} is damaged: SQLite finds ${damage} — restore it from a backup`), { code: 'SLUICE_E_LOG_CORRUPT' });
    result = verifyLog(log);
    const ingest = IngestJournal.open(file, { readOnly: true, logKeyed: log.chainInfo().keyId !== undefined, ...(chainKey ? { chainKey } : {}) });
    try {
      journal = ingest.verify();
    } finally {
      ingest.close();
    }
  } catch (error) {
    log?.close();
    if (error instanceof CliExit) throw error;
    const code = isSluiceError(error) ? error.code : ((error as { code?: string }).code?.startsWith('SLUICE_E_') ? (error as { code: string }).code : 'SLUICE_E_LOG_CORRUPT');
    return fail(code, (error as Error).message);
  }
  log.close();
  const ok = result.ok && journal.ok;
  if (json) {
    print(io, {
      ok,
      file,
      rollouts: result.rollouts,
      events: result.events,
      ...(result.broken ? { broken: result.broken } : {}),
      ...(result.head ? { head: result.head } : {}),
      ...(result.keyed ? { keyed: result.keyed } : {}),
      journal: { rows: journal.rows, checked: journal.checked, ...(journal.forged ? { forged: journal.forged } : {}) },
    });
  } else {
    printText(io, file, result, journal);
  }
  if (!ok) throw new CliExit(EXIT.failure);
}

function printText(io: CliIo, file: string, result: VerifyResult, journal: JournalVerifyResult): void {
  if (!result.ok) {
    const broken = result.broken!;
    const where = broken.rolloutId === null ? `sequence ${broken.seq}` : `rollout ${broken.rolloutId} position ${broken.position}${broken.seq === null ? '' : ` (sequence ${broken.seq})`}`;
    io.out(`BROKEN: ${file}: ${where}: ${broken.reason}\n`);
    io.out(`checked ${result.events} event(s) of ${result.rollouts} rollout(s)\n`);
    return;
  }
  if (!journal.ok) {
    const forged = journal.forged!;
    io.out(`BROKEN: ${file}: ingest journal row ${forged.id} (rollout ${forged.rolloutId}, window ${new Date(forged.windowStartAt).toISOString()}, ${forged.variant}, ${forged.count} samples): ${forged.reason}\n`);
    return;
  }
  const head = result.head ? `; head: sequence ${result.head.seq}, link ${result.head.link ?? '(none: schema-1 log)'}` : '';
  io.out(`ok: ${file}: ${result.rollouts} rollout(s), ${result.events} event(s), every chain verifies${head}\n`);
  if (result.keyed && !result.keyed.checked) {
    io.out(`note: the log is keyed (key id ${result.keyed.keyId}) from sequence ${result.keyed.keyedSinceSeq}; pass --chain-key-file to check the keyed links and seals too\n`);
  }
  if (journal.rows > 0) {
    io.out(journal.checked ? `ingest journal: ${journal.rows} row(s) waiting for their window, every seal verifies\n` : `ingest journal: ${journal.rows} row(s); their seals were not checked (no journal key beside the log and no --chain-key-file)\n`);
  }
}

function print(io: CliIo, value: VerifyJson): void {
  io.out(`${JSON.stringify(value)}\n`);
}
