import { describe, expect, it } from 'vitest';
import { validateSpec } from '../spec/parseSpec.js';
import { runSimulation } from './runSimulation.js';
import { parseTrafficModel } from './trafficModel.js';

const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });
const spec = validateSpec({
  id: 'sim-test',
  service: 's',
  baseline: 'a',
  candidate: 'b',
  stages: [
    { name: 'ramp', weightPercent: 20, durationMin: '10m', gates: [{ kind: 'errorRate', maxPercent: 20 }, { kind: 'compareErrorRate', alpha: 0.01, tolerance: 1 }] },
    { name: 'rollout', weightPercent: 100, durationMin: '1m', gates: [{ kind: 'errorRate', maxPercent: 20 }] },
  ],
});

describe('runSimulation', () => {
  it('completes a healthy rollout, deterministically for a seed', () => {
    const model = parseTrafficModel({ seed: 3, durationMs: 3_600_000, requestsPerSecond: 100, baseline: arm(0.05), canary: arm(0.05) });
    const first = runSimulation(spec, model);
    expect(first.outcome).toBe('completed');
    expect(first.rollbackStartedAtMs).toBeNull();
    expect(first.stages.map((s) => s.name)).toEqual(['ramp', 'rollout']);
    expect(first.stages[0]?.exitedAtMs).toBe(first.stages[1]?.enteredAtMs);
    expect(runSimulation(spec, model)).toEqual(first);
  });

  it('rolls a catastrophic canary back at the end of the first window', () => {
    const model = parseTrafficModel({ seed: 1, durationMs: 600_000, requestsPerSecond: 100, baseline: arm(0.01), canary: arm(0.5) });
    const result = runSimulation(spec, model);
    expect(result.outcome).toBe('rolled_back');
    expect(result.rollbackStartedAtMs).toBe(spec.window);
    expect(result.decisions.find((d) => d.type === 'rollback.started')?.data).toMatchObject({ reason: 'gate' });
  });

  it('applies weights after the configured delay and does not judge the mixed window', () => {
    const model = parseTrafficModel({ seed: 2, durationMs: 60_000, requestsPerSecond: 100, baseline: arm(0.01), canary: arm(0.01) });
    const result = runSimulation(spec, model, { applyDelayMs: 2_000 });
    const firstGate = result.decisions.find((d) => d.type === 'gate.evaluated');
    expect(firstGate?.atMs).toBe(2 * spec.window);
    expect(result.outcome).toBe('timed_out');
  });
});
