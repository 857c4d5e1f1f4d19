import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, Daemon, resolveDaemonConfig, type DaemonConfigInput, type DaemonOptions } from '@sluice/daemon';

/** An in-process daemon on a temporary file and an ephemeral port, through @sluice/daemon's public API. */
export const BENCH_TOKEN = 'bench-token-0123456789abcdef01234';

export async function startInProcessDaemon(
  overrides: Partial<DaemonConfigInput> = {},
  createAdapter?: DaemonOptions['createAdapter'],
): Promise<{ daemon: Daemon; headers: Record<string, string>; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-daemon-'));
  // Benchmarks move rollouts along on windows shorter than the 1 s users get by default.
  const config = resolveDaemonConfig({ flags: { db: join(dir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50, windowMsMin: 100, ...overrides }, env: {} });
  const daemon = await Daemon.start({ config, token: BENCH_TOKEN, logger: createLogger('silent'), processMetrics: false, ...(createAdapter ? { createAdapter } : {}) });
  return {
    daemon,
    headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` every 20 ms until it returns a value, for at most `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
