import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readTokenFile } from '../config/token.js';
import { DaemonClient } from '../client/DaemonClient.js';
import { DaemonError } from '../errors.js';

export interface ClientFlags {
  url?: string;
  tokenFile?: string;
  json?: boolean;
}

/** Default daemon URL when neither --url nor SLUICE_URL is given. */
export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:7400';
/** Token file tried when neither --token-file nor SLUICE_TOKEN_FILE is given (the daemon's default). */
export const DEFAULT_TOKEN_FILE = '.sluice/token';

/** Adds the flags every daemon-facing command has: --url, --token-file, --json. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--url <url>', `daemon base URL (env SLUICE_URL; default ${DEFAULT_DAEMON_URL})`)
    .option('--token-file <file>', `file holding the daemon's bearer token (env SLUICE_TOKEN_FILE; default ${DEFAULT_TOKEN_FILE} when it exists)`)
    .option('--json', 'print JSON instead of human output');
}

/** Builds the client from flags > environment > defaults. SLUICE_TOKEN (the token itself) is honoured for CI. */
export function clientFrom(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): DaemonClient {
  const url = flags.url ?? env.SLUICE_URL ?? DEFAULT_DAEMON_URL;
  const full = url.includes('://') ? url : `http://${url}`;
  if (!URL.canParse(full) || !['http:', 'https:'].includes(new URL(full).protocol)) {
    const from = flags.url !== undefined ? '--url' : 'SLUICE_URL';
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `${from} ${JSON.stringify(url)} is not an http(s) URL or host:port — use e.g. http://127.0.0.1:7400 or 127.0.0.1:7400`);
  }
  const tokenFile = flags.tokenFile ?? env.SLUICE_TOKEN_FILE ?? (existsSync(DEFAULT_TOKEN_FILE) ? DEFAULT_TOKEN_FILE : undefined);
  const token = tokenFile ? readTokenFile(tokenFile) : env.SLUICE_TOKEN;
  return new DaemonClient({ url: full, token });
}
