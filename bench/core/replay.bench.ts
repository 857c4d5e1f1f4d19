import Database from 'better-sqlite3';
import { EventLog, parseTrafficModel, replay, runSimulation, sessionDriver, validateSpec } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineSuite, operationsPerSecond } from '../lib/benchmark.js';

/**
 * Replay throughput — read a rollout's log, feed every input to the machine again and compare every recorded
 * decision — beside a bare `.iterate()` of the same rows. The logs are written by the simulator through a RolloutSession, as
 * `sluice simulate --db` does: default stages, 5 s windows, a healthy candidate, 30 min of canary.
 */
const ROLLOUTS = 2;

let dir = '';
let log: EventLog;
let raw: Database.Database;
let eventCount = 0;

function rolloutIdOf(r: number): string {
  return `replay-bench-${r}`;
}

export default defineSuite({
  name: 'core: replay',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-replay-'));
    log = EventLog.open(join(dir, 'replay.db'));
    for (let r = 0; r < ROLLOUTS; r++) {
      const spec = validateSpec({ id: rolloutIdOf(r), service: 'checkout', baseline: 'v1', candidate: 'v2', window: 5_000 });
      const model = parseTrafficModel({
        seed: r + 1,
        durationMs: 30 * 60_000,
        requestsPerSecond: 200,
        baseline: { errorRate: 0.001, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } },
        canary: { errorRate: 0.001, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } },
      });
      // One transaction around the whole simulation: one fsync instead of one per window, to keep the setup short.
      log.transaction(() => runSimulation(spec, model, { driver: (s, at) => sessionDriver(log, s, at) }));
    }
    eventCount = log.listRollouts().reduce((n, rollout) => n + rollout.events, 0);
    raw = new Database(log.file, { readonly: true });
  },
  teardown() {
    raw.close();
    log.close();
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'replay (reproduce every decision)',
      unit: 'events/s',
      note: `${ROLLOUTS} simulated rollouts (30 min of canary at 1% in 5 s windows each: per window one samples.window with two HdrHistograms in the plain V2 encoding, ~1,000 and ~10 samples; gate verdicts only when they say something new, docs/log.md); replay reads with EventLog.readRecorded, folds every input through the XState machine and the gates, recomputes every verdict and compares each decision the log holds, keeping only the outcome decisions as \`sluice replay\` does. The ratio to a bare iteration is information, no longer a target (issue 12): a log that holds fewer, bigger rows makes it smaller while replay gets faster. The targets per rollout are in "core: the lean log".`,
      measure() {
        let reproduced = 0;
        const rate = operationsPerSecond(eventCount, () => {
          for (let r = 0; r < ROLLOUTS; r++) if (replay(log, rolloutIdOf(r), { keepDecisions: false }).reproduced) reproduced++;
        });
        if (reproduced !== ROLLOUTS) throw new Error(`only ${reproduced} of ${ROLLOUTS} rollouts reproduced`);
        return { value: rate, detail: `${eventCount.toLocaleString('en-US')} events in all.` };
      },
      reference: {
        name: 'bare .iterate()',
        measure() {
          const select = raw.prepare('SELECT * FROM events WHERE rollout_id = ? ORDER BY position');
          let bytes = 0;
          const rate = operationsPerSecond(eventCount, () => {
            for (let r = 0; r < ROLLOUTS; r++) for (const row of select.iterate(rolloutIdOf(r))) bytes += (row as { data: string }).data.length;
          });
          if (bytes === 0) throw new Error('bare iteration read nothing');
          return rate;
        },
      },
    },
  ],
});
