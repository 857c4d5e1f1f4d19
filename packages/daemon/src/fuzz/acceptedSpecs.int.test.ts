import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { createLogger } from '../logger.js';
import { startTestDaemon, TEST_TOKEN } from '../testing/startTestDaemon.js';
import { edgeSpec } from './fuzzInputs.js';

/**
 * "A spec the daemon accepts is a spec it can always recover" (issue 11: `window: 0` was accepted, could not be
 * registered, and every later start failed). Specs at the ends of every range are created on a real daemon with the
 * default settings, which then restarts on the same log: every accepted rollout is back and none is quarantined.
 */
type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
let restarted: Daemon | undefined;
afterEach(async () => {
  if (restarted) {
    // The first daemon was stopped by the test; only its directory is left.
    await restarted.stop();
    rmSync(running!.dir, { recursive: true, force: true });
  } else await running?.stop();
  restarted = undefined;
  running = undefined;
});

describe('specs at the ends of their ranges', () => {
  it('are registered when accepted, refused at a field otherwise, and all recovered after a restart', async () => {
    running = await startTestDaemon({ windowMsMin: 1_000 });
    const { daemon, headers } = running;
    const specs = fc.sample(fc.nat().chain((n) => edgeSpec(`edge-${n}`)), { numRuns: 40, seed: 11 }).map((spec, i) => ({ ...spec, id: `edge-${i}` }));
    const accepted: string[] = [];
    for (const spec of specs) {
      const response = await fetch(`${daemon.url}/v1/rollouts`, { method: 'POST', headers, body: JSON.stringify(spec) });
      const body = (await response.json()) as { error?: { issues?: { path: string }[] } };
      if (response.status === 201) accepted.push(spec.id as string);
      else {
        expect(response.status, JSON.stringify(body)).toBe(422);
        expect(body.error?.issues?.every((issue) => issue.path.length > 0)).toBe(true);
      }
    }
    expect(accepted.length).toBeGreaterThan(20);
    const config = resolveDaemonConfig({ flags: { db: daemon.log.file, listen: '127.0.0.1:0', windowMsMin: 1_000 }, env: {} });
    await daemon.stop();
    restarted = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    expect((await fetch(`${restarted.url}/readyz`)).status).toBe(200);
    const list = (await (await fetch(`${restarted.url}/v1/rollouts?state=all`, { headers })).json()) as { rollouts: { id: string }[]; quarantined?: unknown[] };
    expect(list.quarantined ?? []).toEqual([]);
    expect(list.rollouts.map((r) => r.id).sort()).toEqual([...accepted].sort());
  });
});
