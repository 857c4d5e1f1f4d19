import { readFileSync } from 'node:fs';
import { parseSpecText, SpecValidationError, type RolloutSpec } from '@sluice/core';
import { CliExit, EXIT } from './exitCodes.js';
import type { CliIo } from './main.js';

/**
 * Reads and validates the spec file a command was given (`-` is stdin). A missing, unreadable or invalid file is a
 * bad argument: the command prints every problem with the file's name, line and field, and exits 2 — never 1, which
 * scripts read as "the rollout did not complete".
 */
export function readSpecFile(file: string, command: string, io: CliIo): { text: string; spec: RolloutSpec } {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
    io.err(`sluice ${command}: cannot read spec file ${name}: ${reason}\n`);
    throw new CliExit(EXIT.usage);
  }
  try {
    return { text, spec: parseSpecText(text, name) };
  } catch (error) {
    if (!(error instanceof SpecValidationError)) throw error;
    io.err(`sluice ${command}: ${error.message}\n(the spec's fields are in docs/spec.md)\n`);
    throw new CliExit(EXIT.usage);
  }
}
