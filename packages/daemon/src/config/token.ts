import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readBoundedFile, unreadableReason } from '../cli/boundedFile.js';
import { DaemonError } from '../errors.js';

/** Tokens shorter than this are refused: a bearer token is the only thing guarding the mutating endpoints. */
export const TOKEN_LENGTH_MIN = 16;
/** Bytes a token file may have. */
export const TOKEN_FILE_BYTES_MAX = 4_096;

/** Where the token lives when no `--token-file` is given: beside the database. */
export function defaultTokenFile(dbFile: string): string {
  return join(dirname(dbFile), 'token');
}

/** Reads a token file (first line, trimmed). Throws SLUICE_E_TOKEN_FILE saying how to fix it. */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    // A token is one short line: a token file pointing at /dev/zero or a large file is refused, not read whole.
    text = readBoundedFile(file, TOKEN_FILE_BYTES_MAX);
  } catch (error) {
    throw new DaemonError('SLUICE_E_TOKEN_FILE', `cannot read token file ${file}: ${unreadableReason(error)} — pass --token-file (or SLUICE_TOKEN_FILE) pointing at the daemon's token`, { cause: error });
  }
  const token = (text.split('\n')[0] ?? '').trim();
  if (token.length < TOKEN_LENGTH_MIN) {
    throw new DaemonError('SLUICE_E_TOKEN_FILE', `token in ${file} is ${token.length} characters; use at least ${TOKEN_LENGTH_MIN} (e.g. \`openssl rand -hex 32 > ${file}\`)`);
  }
  return token;
}

/**
 * The daemon's token: read from `file`, or, when the file does not exist yet, a fresh random token written there with
 * mode 0600 so that the CLI on the same machine can read it.
 */
export function ensureTokenFile(file: string): { token: string; created: boolean } {
  if (existsSync(file)) return { token: readTokenFile(file), created: false };
  const token = randomBytes(32).toString('hex');
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new DaemonError('SLUICE_E_TOKEN_FILE', `cannot create token file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return { token, created: true };
}
