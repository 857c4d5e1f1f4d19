import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseSpecText, SPEC_LIMITS, SpecValidationError, WINDOW_MS_FLOOR, type RolloutSpec } from '@sluice/core';
import { CliExit, EXIT } from './exitCodes.js';
import type { CliIo } from './main.js';

/** Bytes a document file the CLI reads (traffic model, daemon config) may have; a spec has SPEC_LIMITS.bytesMax. */
export const DOCUMENT_FILE_BYTES_MAX = 1024 * 1024;

/**
 * Reads a file (`-` is stdin) as UTF-8, refusing one over `bytesMax` without reading more than `bytesMax` + 1 bytes of
 * it: a spec path pointing at /dev/zero or a multi-gigabyte file is an error message, not a hung or crashed CLI. The
 * one reader for every document the CLI and the daemon read from a file.
 */
export function readBoundedFile(file: string, bytesMax: number): string {
  const fd = file === '-' ? 0 : openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
    if (stat.isFile() && stat.size > bytesMax) throw tooLarge(bytesMax);
    const buffer = Buffer.allocUnsafe(Math.min(bytesMax + 1, stat.isFile() ? stat.size + 1 : bytesMax + 1));
    let length = 0;
    while (length < buffer.length) {
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        // A non-blocking stdin (a terminal or pipe set so by a parent) has no data yet: wait for it.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw error;
      }
      if (read === 0) break;
      length += read;
    }
    if (length > bytesMax) throw tooLarge(bytesMax);
    return buffer.toString('utf8', 0, length);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

function tooLarge(bytesMax: number): Error {
  return Object.assign(new Error(`it is larger than the ${bytesMax} bytes accepted`), { code: 'EFBIG' });
}

/** Why a file could not be read, as a message says it. */
export function unreadableReason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
}

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
