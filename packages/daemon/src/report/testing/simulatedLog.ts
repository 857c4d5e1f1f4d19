import { EventLog, parseSpecText, parseTrafficModel, runSimulation, sessionDriver, type SimulationResult } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Event logs of simulated rollouts for the report's tests and scripts/screenshots.ts: a rollout whose canary turns
 * bad five minutes in and is rolled back by its comparative gate, and a healthy one that completes. Deterministic
 * (fixed seeds), written by the real RolloutSession into a real SQLite file.
 */
export const ROLLBACK_ID = 'checkout-rollback';
export const HEALTHY_ID = 'checkout-healthy';

const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });

export const ROLLBACK_SPEC_YAML = `id: ${ROLLBACK_ID}
service: checkout
baseline: v41
candidate: v42
stages:
  - name: canary
    weightPercent: 10
    durationMin: 10m
    gates:
      - kind: compareErrorRate
        alpha: 0.01
      - kind: errorRate
        maxPercent: 20
      - kind: compareLatency
      - kind: latency
        maxMs: 500
      - kind: sampleRatio
  - name: ramp
    weightPercent: 50
    durationMin: 10m
  - name: full
    weightPercent: 100
    durationMin: 1m
`;

/** The same stages judged only by the error-rate breaker: the what-if the tests and docs compare with. */
export const BREAKER_ONLY_SPEC_YAML = ROLLBACK_SPEC_YAML.replace(/    gates:\n(      .*\n)+/, '    gates:\n      - kind: errorRate\n        maxPercent: 20\n');

export interface SimulatedLog {
  file: string;
  dir: string;
  result: SimulationResult;
  remove(): void;
}

/** Simulates into a new log file in a temporary directory; `remove()` deletes the directory. */
export function simulateRollback(options: { dir?: string } = {}): SimulatedLog {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sluice-report-'));
  const file = join(dir, 'events.db');
  const spec = parseSpecText(ROLLBACK_SPEC_YAML, 'rollback.yaml');
  const model = parseTrafficModel(
    { seed: 7, durationMs: 3_600_000, requestsPerSecond: 100, baseline: arm(0.01), canary: arm(0.01), changes: [{ atMs: 300_000, arm: 'canary', errorRate: 0.05, latencyMultiplier: 1.4 }] },
    'traffic.json',
  );
  const log = EventLog.open(file);
  try {
    const result = runSimulation(spec, model, { applyDelayMs: 1_500, driver: (s, at) => sessionDriver(log, s, at) });
    return { file, dir, result, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    log.close();
  }
}

/** A healthy rollout of the default stage template (canary 1% 2 h → ramp 10% 4 h → 100%) over `hours` of traffic. */
export function simulateHealthy(file: string, options: { hours?: number; requestsPerSecond?: number } = {}): SimulationResult {
  const spec = parseSpecText(`id: ${HEALTHY_ID}\nservice: checkout\nbaseline: v41\ncandidate: v43\n`, 'healthy.yaml');
  const model = parseTrafficModel({ seed: 11, durationMs: (options.hours ?? 7) * 3_600_000, requestsPerSecond: options.requestsPerSecond ?? 200, baseline: arm(0.01), canary: arm(0.01) }, 'traffic.json');
  const log = EventLog.open(file);
  try {
    return runSimulation(spec, model, { applyDelayMs: 1_500, driver: (s, at) => sessionDriver(log, s, at) });
  } finally {
    log.close();
  }
}
