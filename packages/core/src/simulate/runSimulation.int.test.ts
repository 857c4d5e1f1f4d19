import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../log/EventLog.js';
import { verifyLog } from '../log/verify.js';
import { validateSpec } from '../spec/parseSpec.js';
import { sessionDriver } from './rolloutDriver.js';
import { runSimulation } from './runSimulation.js';
import { parseTrafficModel } from './trafficModel.js';

const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('runSimulation with an event log', () => {
  it('keeps every input and decision in a log that verifies, with the same result as in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-sim-'));
    dirs.push(dir);
    const spec = validateSpec({ id: 'sim-db', service: 's', baseline: 'a', candidate: 'b', stages: [{ name: 'canary', weightPercent: 10, durationMin: '5m', gates: [{ kind: 'compareErrorRate' }] }] });
    const model = parseTrafficModel({ seed: 9, durationMs: 1_200_000, requestsPerSecond: 100, baseline: arm(0.01), canary: arm(0.2) });
    const log = EventLog.open(join(dir, 'events.db'));
    try {
      const stored = runSimulation(spec, model, { driver: (s, at) => sessionDriver(log, s, at) });
      expect(stored).toEqual(runSimulation(spec, model));
      expect(stored.outcome).toBe('rolled_back');
      expect(verifyLog(log).ok).toBe(true);
      const types = [...log.read('sim-db')].map((e) => e.type);
      expect(types[0]).toBe('rollout.created');
      expect(types).toContain('rollback.started');
    } finally {
      log.close();
    }
  });
});
