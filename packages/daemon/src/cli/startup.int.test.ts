import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.js';
import { spawnDaemon } from '../testing/spawnDaemon.js';

/**
 * What a real `sluice` process loads (issue 12, decision 7): a module-resolution hook prints every module the CLI
 * resolves, for `--help` and for one command's help. The lazy registry's logic is unit-tested in
 * commands/index.test.ts; this checks the import graph itself, which a static import added to main.ts would break.
 */
const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));
/** Prints every module the process resolves (`RESOLVED <url>` on stderr). */
const hook = fileURLToPath(new URL('../../../../scripts/trace-modules.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The URLs a `sluice ARGS` process resolved (run from sources, as the other CLI tests do). */
function resolvedBy(args: readonly string[]): string[] {
  const result = spawnSync(process.execPath, ['--conditions=sluice-source', '--import', 'tsx', '--import', pathToFileURL(hook).href, RUN, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stderr.split('\n').filter((line) => line.startsWith('RESOLVED ')).map((line) => line.slice('RESOLVED '.length));
}

const HEAVY = ['commander', 'zod', 'pino', 'better-sqlite3', 'xstate', 'prom-client', 'undici', '@kubernetes', '@grpc'];
const packagesOf = (urls: readonly string[]): Set<string> =>
  new Set(urls.flatMap((url) => /node_modules\/\.pnpm\/(@?[^@/]+(?:\+[^@/]+)?)@/.exec(url)?.[1]?.replace('+', '/') ?? []));

describe('what the sluice process loads', () => {
  it('loads no command, no dependency and no Sluice package for --help', () => {
    const urls = resolvedBy(['--help']);
    expect(urls.some((url) => url.endsWith('/cli/commands/index.ts'))).toBe(true);
    expect(urls.filter((url) => /\/cli\/commands\/(?!index\.ts)/.test(url))).toEqual([]);
    expect(urls.filter((url) => /packages\/(core|adapters)\/|node_modules/.test(url))).toEqual([]);
  });

  it('loads commander and the named command only for CMD --help, never the daemon', () => {
    const urls = resolvedBy(['audit', '--help']);
    const packages = packagesOf(urls);
    expect(packages.has('commander')).toBe(true);
    expect(urls.some((url) => url.endsWith('/cli/commands/audit.ts'))).toBe(true);
    expect(urls.filter((url) => /\/cli\/commands\/(?!index\.ts|audit\.ts)/.test(url))).toEqual([]);
    expect(urls.filter((url) => /\/src\/(Daemon|http\/|runtime\/RolloutRuntime)/.test(url))).toEqual([]);
    for (const name of ['pino', 'prom-client', 'undici', '@kubernetes/client-node', '@grpc/grpc-js']) expect(packages.has(name), name).toBe(false);
    // The list of heavy packages is kept honest: the daemon's help loads them.
    const daemon = packagesOf(resolvedBy(['daemon', '--help']));
    expect(HEAVY.filter((name) => [...daemon].some((p) => p.startsWith(name))).length).toBeGreaterThan(4);
  });

  it('loads neither zod nor yaml for the commands that read logs: the log holds specs already validated', () => {
    for (const command of ['replay', 'audit', 'report', 'status', 'events']) {
      const packages = packagesOf(resolvedBy([command, '--help']));
      expect(packages.has('xstate'), command).toBe(true);
      for (const name of ['zod', 'yaml', 'undici']) expect(packages.has(name), `${command}: ${name}`).toBe(false);
    }
  });

  it('starts the daemon without client-node, gRPC, protobufjs or undici: each is loaded when a rollout first needs it', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'startup-test-token-0123456789abcdef\n', { mode: 0o600 });
    const daemon = await spawnDaemon(['--db', join(dir, 'daemon.db'), '--token-file', tokenFile, '--log-level', 'warn'], { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` });
    try {
      await eventually('the daemon to be ready', async () => ((await fetch(`${daemon.url}/readyz`)).status === 200 ? true : undefined));
    } finally {
      await daemon.kill('SIGTERM');
    }
    const packages = packagesOf(daemon.stderr().split('\n').filter((line) => line.startsWith('RESOLVED ')));
    // The hook saw the daemon's imports: what it does load is there.
    for (const name of ['better-sqlite3', 'pino', 'prom-client']) expect(packages.has(name), name).toBe(true);
    for (const name of ['@kubernetes/client-node', '@grpc/grpc-js', 'protobufjs', 'undici']) expect(packages.has(name), name).toBe(false);
  });
});
