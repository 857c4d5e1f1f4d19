import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');

/** Largest response body read from the daemon. */
const RESPONSE_BYTES_MAX = 4 * 1024 * 1024;

export interface DaemonHandle {
  url: string;
  /** Bearer token of the API (for other processes that post to it). */
  token: string;
  /** Resolves once /readyz answers; rejects (after stopping the child) when the daemon exits or is not ready in time. */
  ready(): Promise<void>;
  /** Everything the daemon wrote to stdout and stderr (pino lines), bounded. */
  output(): string;
  request(method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/**
 * Starts `sluice daemon` as a child process (with `extraArgs` after the others, e.g. `--xds-listen` for the gRPC example) from the workspace sources (tsx with the `sluice-source` condition) on a
 * loopback port, with its own database and token in `dir`. The handle is returned at once, so that a caller can stop
 * the child even while it is starting; `ready()` waits for /readyz.
 */
export async function startDaemon(options: { dir: string; port: number; tickMs: number; windowGraceMs: number; readBackIntervalMs?: number; readyTimeoutMs?: number; extraArgs?: readonly string[] }): Promise<DaemonHandle> {
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(options.dir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    join(repoRoot, 'node_modules', '.bin', 'tsx'),
    ['--conditions=sluice-source', join(here, 'sluiceCli.ts'), 'daemon', '--db', join(options.dir, 'sluice.db'), '--listen', `127.0.0.1:${options.port}`, '--token-file', tokenFile, '--tick-ms', String(options.tickMs), '--window-grace-ms', String(options.windowGraceMs), '--window-ms-min', '100', '--log-level', 'info', ...(options.extraArgs ?? [])],
    // Its own process group: tsx runs the daemon in a child process, and stopping the group stops both.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, SLUICE_READ_BACK_INTERVAL_MS: String(options.readBackIntervalMs ?? 1_000) } },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const request = async (method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = (await response.text()).slice(0, RESPONSE_BYTES_MAX);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON; keep the text.
    }
    return { status: response.status, body: parsed };
  };

  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return signalGroup('SIGKILL');
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    signalGroup('SIGKILL'); // whatever of the group outlived the wrapper
  };

  const ready = async (): Promise<void> => {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice daemon exited with ${child.exitCode}:\n${output}`);
      const answered = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (answered) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`sluice daemon not ready at ${url} within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { url, token, ready, output: () => output, request, stop };
}
