import { parseSpecText, SPEC_LIMITS, SpecValidationError, WINDOW_MS_FLOOR, type RolloutSpec } from '@sluice/core';
import { CliExit, EXIT } from './exitCodes.js';
import type { CliIo } from './main.js';
import { readBoundedFile, unreadableReason } from './boundedFile.js';

/**
 * Reads and validates the spec file a command was given (`-` is stdin). A missing, unreadable, oversized or invalid
 * file is a bad argument: the command prints every problem with the file's name, line and field, and exits 2 — never
 * 1, which scripts read as "the rollout did not complete". `windowMsMin` is the shortest window accepted: offline
 * commands keep the default (1 s); `sluice start` checks only the floor and lets the daemon apply its own setting.
 */
export function readSpecFile(file: string, command: string, io: CliIo, options: { windowMsMin?: number } = {}): { text: string; spec: RolloutSpec } {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readBoundedFile(file, SPEC_LIMITS.bytesMax);
  } catch (error) {
    io.err(`sluice ${command}: cannot read spec file ${name}: ${unreadableReason(error)}\n`);
    throw new CliExit(EXIT.usage);
  }
  try {
    return { text, spec: parseSpecText(text, name, options) };
  } catch (error) {
    if (!(error instanceof SpecValidationError)) throw error;
    io.err(`sluice ${command}: ${error.message}\n(the spec's fields are in docs/spec.md)\n`);
    throw new CliExit(EXIT.usage);
  }
}

/** The window floor `sluice start` checks before sending a spec; the daemon refuses what its own setting does not allow. */
export const START_WINDOW_MS_MIN = WINDOW_MS_FLOOR;
