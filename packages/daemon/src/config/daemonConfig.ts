import { parseBoundedYaml, SPEC_LIMITS, SpecValidationError } from '@sluice/core';
import { z } from 'zod';
import { readBoundedFile, unreadableReason } from '../cli/boundedFile.js';
import { DaemonError } from '../errors.js';
import { isListenAddress } from './listenAddress.js';

/**
 * Daemon settings. Every setting comes, in order of precedence, from a command-line flag, an environment variable,
 * the config file (`--config FILE` / SLUICE_CONFIG, YAML or JSON, keys as below), or the default. docs/cli.md lists
 * them all; this table is the single source of names.
 */
export const daemonConfigSchema = z
  .object({
    db: z.string().min(1).default('.sluice/sluice.db'),
    // Checked with the other settings, so a bad address is reported with its origin and beside every other problem.
    listen: z
      .string()
      .min(1)
      .refine(isListenAddress, { message: 'is not host:port — use e.g. 127.0.0.1:7400 or [::1]:7400 (port 0–65535)' })
      .default('127.0.0.1:7400'),
    tokenFile: z.string().min(1).optional(),
    openReads: z.boolean().default(false),
    allowNonLoopback: z.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    tickMs: z.int().min(10).max(60_000).default(250),
    windowGraceMs: z.int().min(0).max(600_000).default(500),
    sampleBodyBytesMax: z.int().min(1_024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    jsonBodyBytesMax: z.int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
    applyTimeoutMs: z.int().min(100).max(600_000).default(15_000),
    applyAttemptsMax: z.int().min(1).max(1_000).default(6),
    readBackIntervalMs: z.int().min(100).max(3_600_000).default(5_000),
    // Inspection of a log the daemon would refuse (broken chain, forged journal rows): serve reads, refuse every write.
    readOnly: z.boolean().default(false),
    // HMAC key of the keyed chain (docs/reliability.md): rewriting the log then needs the key.
    chainKeyFile: z.string().min(1).optional(),
    // The shortest rollout `window` accepted (docs/spec.md). Only tests and demos lower it; never below 100 ms.
    windowMsMin: z.int().min(100).max(1_000).default(1_000),
    // The xDS (ADS) server of the envoy adapter and the Envoy access-log service (docs/adapters/envoy.md); off unless set.
    xdsListen: z.string().min(1).refine(isListenAddress, { message: 'is not host:port — use e.g. 127.0.0.1:18000 or [::1]:18000' }).optional(),
    // TLS of the xDS server: certificate chain and key (PEM files, both or neither), and a CA that clients' certificates must chain to (mTLS).
    xdsTlsCert: z.string().min(1).optional(),
    xdsTlsKey: z.string().min(1).optional(),
    xdsTlsClientCa: z.string().min(1).optional(),
  })
  .strict()
  // Reported at the setting that was given, so the message names where it came from.
  .superRefine((c, context) => {
    if ((c.xdsTlsCert === undefined) !== (c.xdsTlsKey === undefined)) {
      context.addIssue({ code: 'custom', message: 'give both --xds-tls-cert and --xds-tls-key, or neither', path: [c.xdsTlsCert === undefined ? 'xdsTlsKey' : 'xdsTlsCert'] });
    }
  })
  .refine((c) => c.xdsTlsClientCa === undefined || c.xdsTlsCert !== undefined, { message: '--xds-tls-client-ca needs --xds-tls-cert and --xds-tls-key (mutual TLS is TLS first)', path: ['xdsTlsClientCa'] })
  .refine((c) => c.xdsListen !== undefined || (c.xdsTlsCert === undefined && c.xdsTlsClientCa === undefined), { message: 'the --xds-tls-* settings need --xds-listen', path: ['xdsListen'] });

export type DaemonConfig = z.output<typeof daemonConfigSchema>;
export type DaemonConfigInput = z.input<typeof daemonConfigSchema>;
type Key = keyof DaemonConfig;

/** Environment variable of every setting. */
export const CONFIG_ENV: Record<Key, string> = {
  db: 'SLUICE_DB',
  listen: 'SLUICE_LISTEN',
  tokenFile: 'SLUICE_TOKEN_FILE',
  openReads: 'SLUICE_OPEN_READS',
  allowNonLoopback: 'SLUICE_ALLOW_NON_LOOPBACK',
  logLevel: 'SLUICE_LOG_LEVEL',
  tickMs: 'SLUICE_TICK_MS',
  windowGraceMs: 'SLUICE_WINDOW_GRACE_MS',
  sampleBodyBytesMax: 'SLUICE_SAMPLE_BODY_BYTES_MAX',
  jsonBodyBytesMax: 'SLUICE_JSON_BODY_BYTES_MAX',
  applyTimeoutMs: 'SLUICE_APPLY_TIMEOUT_MS',
  applyAttemptsMax: 'SLUICE_APPLY_ATTEMPTS_MAX',
  readBackIntervalMs: 'SLUICE_READ_BACK_INTERVAL_MS',
  readOnly: 'SLUICE_READ_ONLY',
  chainKeyFile: 'SLUICE_CHAIN_KEY_FILE',
  windowMsMin: 'SLUICE_WINDOW_MS_MIN',
  xdsListen: 'SLUICE_XDS_LISTEN',
  xdsTlsCert: 'SLUICE_XDS_TLS_CERT',
  xdsTlsKey: 'SLUICE_XDS_TLS_KEY',
  xdsTlsClientCa: 'SLUICE_XDS_TLS_CLIENT_CA',
};

const BOOLEAN_KEYS = new Set<Key>(['openReads', 'allowNonLoopback', 'readOnly']);
const INTEGER_KEYS = new Set<Key>(['tickMs', 'windowGraceMs', 'sampleBodyBytesMax', 'jsonBodyBytesMax', 'applyTimeoutMs', 'applyAttemptsMax', 'readBackIntervalMs', 'windowMsMin']);

export interface ConfigSources {
  /** Values given as flags (undefined = not given). */
  flags: Partial<Record<Key, unknown>>;
  env: NodeJS.ProcessEnv;
  /** Config file path from `--config` or SLUICE_CONFIG. */
  configFile?: string | undefined;
}

/** Resolves the configuration: flag > environment > file > default. Throws SLUICE_E_CONFIG_INVALID naming the source. */
export function resolveDaemonConfig({ flags, env, configFile }: ConfigSources): DaemonConfig {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const file = configFile ?? env.SLUICE_CONFIG;
  if (file) {
    for (const [key, value] of Object.entries(readConfigFile(file))) {
      merged[key] = value;
      origin[key] = `config file ${file}`;
    }
  }
  for (const key of Object.keys(CONFIG_ENV) as Key[]) {
    const raw = env[CONFIG_ENV[key]];
    if (raw !== undefined && raw !== '') {
      merged[key] = coerce(key, raw);
      origin[key] = `environment variable ${CONFIG_ENV[key]}`;
    }
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    merged[key] = typeof value === 'string' ? coerce(key as Key, value) : value;
    origin[key] = `flag --${kebab(key)}`;
  }
  const parsed = daemonConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `  - ${key || '(root)'} (from ${origin[key] ?? (file ? `config file ${file}` : 'config file')}): ${issue.message}`;
    });
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `invalid daemon configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readBoundedFile(file, SPEC_LIMITS.bytesMax);
  } catch (error) {
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `cannot read config file ${file}: ${unreadableReason(error)}`, { cause: error });
  }
  let value: unknown;
  try {
    // The same bounded reader as specs: size, depth and aliases are checked before the YAML is composed.
    value = parseBoundedYaml(text, SPEC_LIMITS, file, 'SLUICE_E_SPEC_PARSE').value;
  } catch (error) {
    const detail = error instanceof SpecValidationError ? error.issues.map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.message}`).join('; ') : (error as Error).message;
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `config file ${file} is not valid YAML or JSON: ${detail}`, { cause: error });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `config file ${file} must hold a mapping of settings (db, listen, tokenFile, …)`);
  }
  return value as Record<string, unknown>;
}

function coerce(key: Key, raw: string): unknown {
  if (BOOLEAN_KEYS.has(key)) {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  if (INTEGER_KEYS.has(key) && /^\d+$/.test(raw)) return Number(raw);
  return raw;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
