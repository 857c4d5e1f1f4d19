import { Command, CommanderError } from 'commander';
import { isSluiceError } from '@sluice/core';
import { isDaemonError } from '../errors.js';
import { commandRegistrations } from './commands/index.js';
import { CliExit, EXIT } from './exitCodes.js';

/**
 * Entry point of the `sluice` CLI. Returns the process exit code instead of exiting, so tests can call it in-process.
 * Each subcommand lives in its own file under ./commands and registers itself on the program.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('sluice')
    .description('Progressive delivery with sequential canary judgment and an auditable event log')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run `sluice --help` for the commands and their flags)');
  for (const register of commandRegistrations) register(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (isDaemonError(error)) {
      io.err(`sluice: ${error.message}\n`);
      if (error.code === 'SLUICE_E_DAEMON_UNREACHABLE') return EXIT.unreachable;
      if (error.code === 'SLUICE_E_CONFIG_INVALID' || error.code === 'SLUICE_E_LISTEN_NOT_LOOPBACK' || error.code === 'SLUICE_E_TOKEN_FILE') return EXIT.usage;
      return EXIT.failure;
    }
    if (isSluiceError(error)) {
      io.err(`sluice: ${error.message}\n`);
      return EXIT.failure;
    }
    io.err(`sluice: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

/** Where the CLI writes. Commands set `exitCode` to report an outcome (e.g. replay divergences) without throwing. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exitCode?: number;
}

function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  };
}
