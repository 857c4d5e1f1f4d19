import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/*
 * The one bounded reader for every document the CLI and the daemon read from a file (specs, traffic models, daemon
 * configs, token files). A file of its own, without the spec parser, so that reading a token file (every command that
 * talks to the daemon, and `status`/`events --db`) does not load zod and yaml (docs/startup.md).
 */

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
