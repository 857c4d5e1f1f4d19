import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDaemonConfig, type DaemonConfigInput } from '../config/daemonConfig.js';
import { Daemon, type DaemonOptions } from '../Daemon.js';
import { createLogger } from '../logger.js';
import type { AdapterFactory } from '../runtime/RolloutRuntime.js';

export { eventually } from './eventually.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** An in-process daemon on a temporary file and an ephemeral port, for integration tests. */
export async function startTestDaemon(
  overrides: Partial<DaemonConfigInput> = {},
  createAdapter?: AdapterFactory,
  daemonOptions: Pick<DaemonOptions, 'endedSeriesRetentionMs'> = {},
): Promise<{ daemon: Daemon; dir: string; headers: Record<string, string>; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-daemon-'));
  // Tests move rollouts along on windows of 100–500 ms, below the 1 s users get by default.
  const config = resolveDaemonConfig({ flags: { db: join(dir, 'sluice.db'), listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 50, windowMsMin: 100, ...overrides }, env: {} });
  const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false, ...daemonOptions, ...(createAdapter ? { createAdapter } : {}) });
  return {
    daemon,
    dir,
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
