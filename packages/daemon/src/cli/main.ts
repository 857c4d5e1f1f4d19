import { commandEntries, type CommandEntry } from './commands/index.js';
import { CliExit, EXIT } from './exitCodes.js';
import { CLI_VERSION, helpWidthOf, programHelp, PROGRAM_DESCRIPTION } from './programHelp.js';
import { terminalSafeIo } from './terminalText.js';

/**
 * Entry point of the `sluice` CLI. Returns the process exit code instead of exiting, so tests can call it in-process.
 *
 * Start-up is lazy (issue 12): this file imports only the command registry. `sluice --help` and `--version` are
 * answered from the registry; `sluice CMD …` imports commander and CMD's module only — not the other commands, and so
 * not SQLite, the machine or the daemon unless CMD needs them. Anything else (an unknown command or flag) goes to
 * commander with every command known by name, so its error and "did you mean" are as before.
 */
export async function main(argv: readonly string[], rawIo: CliIo = processIo(), entries: readonly CommandEntry[] = commandEntries): Promise<number> {
  // Text from outside (reasons, details, adapter errors, old logs) never reaches the terminal raw.
  const io = terminalSafeIo(rawIo);
  const [first, second] = argv;
  if (first === undefined) {
    // As commander does for a program without an action: the help, on stderr, as a usage error.
    io.err(programHelp(entries, helpWidthOf(process.stderr)));
    return EXIT.usage;
  }
  if (first === '-h' || first === '--help' || (first === 'help' && argv.length === 1)) {
    io.out(programHelp(entries, helpWidthOf(process.stdout)));
    return EXIT.ok;
  }
  if ((first === '-V' || first === '--version') && argv.length === 1) {
    io.out(`${CLI_VERSION}\n`);
    return EXIT.ok;
  }
  const entry = entries.find((e) => e.name === (first === 'help' ? second : first));
  return runWithCommander(argv, io, entries, entry);
}

/** Where the CLI writes. Commands set `exitCode` to report an outcome (e.g. replay divergences) without throwing. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  exitCode?: number;
}

/**
 * Parses `argv` with commander. With `entry`, only that command's module is loaded and registered. Without one, every
 * command is registered by name and description only (nothing is loaded): the input names no command, and commander
 * answers it with its usual error, suggestion and exit code.
 */
async function runWithCommander(argv: readonly string[], io: CliIo, entries: readonly CommandEntry[], entry: CommandEntry | undefined): Promise<number> {
  const { Command, CommanderError } = await import('commander');
  const program = new Command('sluice')
    .description(PROGRAM_DESCRIPTION)
    .version(CLI_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run `sluice --help` for the commands and their flags)');
  try {
    if (entry) (await entry.load())(program, io);
    else for (const e of entries) program.command(e.name).description(e.description);
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportFailure(error, io);
  }
}

/** Error codes that mean "bad flags or configuration" (exit 2) rather than a failed operation (exit 1). */
// A log file that cannot be used (damaged, held by another writer, keyed with another key) is a bad argument too.
const USAGE_ERROR_CODES: ReadonlySet<string> = new Set(['SLUICE_E_CONFIG_INVALID', 'SLUICE_E_LISTEN_NOT_LOOPBACK', 'SLUICE_E_TOKEN_FILE', 'SLUICE_E_LOG_CORRUPT', 'SLUICE_E_LOG_LOCKED', 'SLUICE_E_CHAIN_KEY']);

/** Prints a command's failure and returns its exit code: Sluice errors (of any package) by code, anything else is a bug (70). */
async function reportFailure(error: unknown, io: CliIo): Promise<number> {
  // Loaded here, not at start-up: by now the command has loaded core anyway.
  const { isSluiceError } = await import('@sluice/core');
  if (isSluiceError(error)) {
    io.err(`sluice: ${error.message}\n`);
    if (error.code === 'SLUICE_E_DAEMON_UNREACHABLE') return EXIT.unreachable;
    if (USAGE_ERROR_CODES.has(error.code)) return EXIT.usage;
    return EXIT.failure;
  }
  io.err(`sluice: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT.internal;
}

function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  };
}
