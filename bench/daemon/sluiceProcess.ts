import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `sluice` binary as users run it (the compiled CLI, `@sluice/daemon`'s `bin`), for the daemon and CLI benchmarks:
 * they measure processes, so they run the package's public entry point rather than its sources.
 */
const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const daemonPackageDir = dirname(createRequire(import.meta.url).resolve('@sluice/daemon/package.json'));
export const SLUICE_BIN = join(daemonPackageDir, 'bin', 'sluice.js');

/**
 * The `sluice` binary of another checkout, to measure against in the same run: SLUICE_BENCH_BASELINE names its root
 * (a git worktree of the previous main with its dependencies installed, as for bench/core/leanLog.bench.ts):
 *   git worktree add /tmp/sluice-before <commit> && (cd /tmp/sluice-before && npx -y pnpm@10.34.8 install --frozen-lockfile)
 *   SLUICE_BENCH_BASELINE=/tmp/sluice-before npx -y pnpm@10.34.8 bench -- "start-up on a log" "cli: start-up" --no-write
 * Undefined when the variable is not set. ensureBuilt compiles it too.
 */
export const BASELINE_ROOT = process.env['SLUICE_BENCH_BASELINE'] === undefined ? undefined : resolve(process.env['SLUICE_BENCH_BASELINE']);
export const BASELINE_BIN = BASELINE_ROOT === undefined ? undefined : join(BASELINE_ROOT, 'packages', 'daemon', 'bin', 'sluice.js');

/** How long a daemon may take to print its address, ms. */
export const DAEMON_LISTEN_TIMEOUT_MS = 120_000;

let built = false;

/** Compiles the packages (incremental: seconds when nothing changed), once per benchmark process. */
export function ensureBuilt(): void {
  if (built) return;
  for (const root of BASELINE_ROOT === undefined ? [repositoryRoot] : [repositoryRoot, BASELINE_ROOT]) {
    if (!existsSync(join(root, 'packages', 'daemon', 'bin', 'sluice.js'))) throw new Error(`${root} holds no packages/daemon/bin/sluice.js: SLUICE_BENCH_BASELINE must name a Sluice checkout`);
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/core', 'packages/adapters', 'packages/daemon'], { cwd: root, stdio: 'inherit' });
  }
  built = true;
}

/** Runs `node NODE_ARGS sluice ARGS` (this build's, or `bin`) to the end; returns its wall time in ms, exit code and output. */
export function runSluice(args: readonly string[], bin: string = SLUICE_BIN, nodeArgs: readonly string[] = []): { ms: number; code: number | null; stdout: string; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [...nodeArgs, bin, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Wall time of `node ARGS` in ms (the reference: a process that loads nothing). */
export function runNode(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, [...args], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export interface SluiceDaemon {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the address being printed. */
  listeningAfterMs: number;
  startedAt: bigint;
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `sluice daemon --listen 127.0.0.1:0 ARGS` (this build's, or `bin`) and resolves once it prints the address it listens on. */
export function spawnSluiceDaemon(args: readonly string[], env: NodeJS.ProcessEnv = {}, bin: string = SLUICE_BIN): Promise<SluiceDaemon> {
  const startedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, 'daemon', '--listen', '127.0.0.1:0', ...args], {
    // Benchmarks use windows shorter than the 1 s users get by default.
    env: { ...process.env, SLUICE_WINDOW_MS_MIN: '100', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let listening = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice daemon did not listen within ${DAEMON_LISTEN_TIMEOUT_MS} ms:\n${stderr}`));
    }, DAEMON_LISTEN_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          listeningAfterMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
          startedAt,
          stderr: () => stderr,
          kill: async (signal) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice daemon exited with ${code} before listening:\n${stderr}`));
    });
  });
}

/** Polls /readyz every 5 ms (at most `timeoutMs`) and returns the ms from the daemon's spawn to its first 200. */
export async function readyAfterMs(daemon: SluiceDaemon, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${daemon.url}/readyz`).catch(() => undefined);
    if (response) await response.arrayBuffer();
    if (response?.status === 200) return Number(process.hrtime.bigint() - daemon.startedAt) / 1e6;
    if (Date.now() > deadline) throw new Error(`sluice daemon not ready within ${timeoutMs} ms:\n${daemon.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
