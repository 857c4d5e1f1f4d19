import { describe, expect, it } from 'vitest';
import { parseTrafficModel } from '../simulate/trafficModel.js';
import { runSimulation } from '../simulate/runSimulation.js';
import { validateSpec } from '../spec/parseSpec.js';
import { eventsToDetect, smallestDetectable } from '../judge/detectableEffect.js';
import { plannedTrafficFromFlags, plannedTrafficFromSpec } from './plannedTraffic.js';
import { planRollout } from './planRollout.js';
import { planSummary } from './planSummary.js';

const defaultSpec = validateSpec({ id: 'plan', service: 'shop', baseline: 'v1', candidate: 'v2' });
const flags = (requestsPerSecond: number, errorRate: number) => plannedTrafficFromFlags({ requestsPerSecond, errorRate }, 'test');

describe('planRollout, analytic part', () => {
  it('warns that the default canary stage proves nothing about errors at 5 requests/s, and says what would fix it', () => {
    const plan = planRollout(defaultSpec, flags(5, 0.001), { seeds: 0 });
    const canary = plan.stages[0]!;
    expect(canary.canaryRequestsExpected).toBeCloseTo(360, 6);
    expect(canary.canaryErrorsExpected).toBeCloseTo(0.36, 6);
    const errors = canary.gates.find((g) => g.kind === 'compareErrorRate')!;
    expect(errors.smallestDetectableMultiplier).toBeGreaterThan(10);
    expect(plan.warnings.find((w) => w.startsWith('stage canary: compareErrorRate'))).toMatch(/to detect 10×: durationMin ≥ .* or ≥ \d+ requests\/s or weightPercent ≥ \d+/);
    // Nothing was simulated with seeds 0.
    expect(canary.healthy).toBeNull();
    expect(canary.regressions.every((r) => r.detectedShare === null && r.delayMs === null)).toBe(true);
  });

  it('has no warning at 2,000 requests/s with 1% errors, and detects smaller regressions with more traffic', () => {
    expect(planRollout(defaultSpec, flags(2000, 0.01), { seeds: 0 }).warnings).toEqual([]);
    const mde = (rps: number) => planRollout(defaultSpec, flags(rps, 0.01), { seeds: 0 }).stages[1]!.gates[0]!.smallestDetectableMultiplier!;
    expect(mde(20)).toBeGreaterThan(mde(200));
    expect(mde(200)).toBeGreaterThan(mde(2000));
    expect(mde(2000)).toBeGreaterThan(1.3); // never inside the gate's own tolerance
  });

  it('warns when a stage cannot see samplesMin canary requests by its minimum duration', () => {
    const spec = validateSpec({ id: 'p', service: 's', baseline: 'a', candidate: 'b', stages: [{ name: 'tiny', weightPercent: 1, durationMin: '10m', samplesMin: 1000, gates: [] }] });
    expect(planRollout(spec, flags(10, 0.01), { seeds: 0 }).warnings[0]).toMatch(/^stage tiny: expects 60 canary requests in its minimum duration 10m, fewer than its samplesMin 1000/);
  });

  it('needs more events for smaller effects and none below the tolerance', () => {
    expect(eventsToDetect(0.1, 1.3, 0.3, 0.01)).toBe(Infinity);
    expect(eventsToDetect(0.1, 2, 0.3, 0.01)).toBeGreaterThan(eventsToDetect(0.1, 4, 0.3, 0.01));
    expect(smallestDetectable((m) => m >= 3.5, 1, 100)).toBeCloseTo(3.5, 2);
    expect(smallestDetectable(() => false, 1, 100)).toBeNull();
  });

  it('reads expectedTraffic from a spec and names bad flags', () => {
    const spec = validateSpec({ id: 'p', service: 's', baseline: 'a', candidate: 'b', expectedTraffic: { requestsPerSecond: 50, errorRatePercent: 0.5 } });
    expect(plannedTrafficFromSpec(spec)).toMatchObject({ requestsPerSecond: 50, errorRate: 0.005 });
    expect(plannedTrafficFromSpec(defaultSpec)).toBeNull();
    expect(() => plannedTrafficFromFlags({ requestsPerSecond: -1, errorRate: 2 }, 'flags')).toThrow(/requestsPerSecond[\s\S]*errorRate/);
  });

  it('summarises into what the daemon logs', () => {
    const summary = planSummary(planRollout(defaultSpec, flags(5, 0.001), { seeds: 0 }));
    expect(summary.stages.map((s) => s.stage)).toEqual(['canary', 'ramp', 'rollout']);
    expect(Object.keys(summary.stages[0]!.smallestDetectable)).toEqual(['compareErrorRate', 'compareLatency']);
    expect(summary.warnings.length).toBeGreaterThan(0);
  });
});

describe('planRollout, simulated part, against the full simulator', () => {
  // One stage at 10% of 200 requests/s, 1% errors, with the canary at twice the baseline's error rate from the start.
  const spec = validateSpec({
    id: 'plan-vs-sim',
    service: 's',
    baseline: 'a',
    candidate: 'b',
    stages: [{ name: 'ramp', weightPercent: 10, durationMin: '30m', samplesMin: 100, gates: [{ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3 }] }],
  });
  const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });

  it('plans a detection delay whose spread holds the full simulator\'s median, and an analytic median inside both', () => {
    const plan = planRollout(spec, flags(200, 0.01), { seeds: 200 });
    const planned = plan.stages[0]!.regressions.find((r) => r.errorMultiplier === 2)!;
    expect(planned.detectedShare).toBe(1);
    const simulated: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const result = runSimulation(spec, parseTrafficModel({ seed, durationMs: 3_600_000, requestsPerSecond: 200, baseline: arm(0.01), canary: arm(0.02) }));
      expect(result.rollbackStartedAtMs).not.toBeNull();
      simulated.push(result.rollbackStartedAtMs!);
    }
    simulated.sort((a, b) => a - b);
    const median = simulated[15]!;
    expect(median).toBeGreaterThanOrEqual(planned.delayMs!.p10);
    expect(median).toBeLessThanOrEqual(planned.delayMs!.p90);
    expect(planned.analyticDelayMs!).toBeGreaterThanOrEqual(planned.delayMs!.p10);
    expect(planned.analyticDelayMs!).toBeLessThanOrEqual(planned.delayMs!.p90);
  });

  it('lets a healthy release pass at the minimum duration and is the same for the same seed', () => {
    const first = planRollout(spec, flags(200, 0.01), { seeds: 50 });
    expect(first.stages[0]!.healthy).toMatchObject({ runs: 50, passedShare: 1, passMs: { median: 1_800_000 } });
    expect(planRollout(spec, flags(200, 0.01), { seeds: 50 })).toEqual(first);
  });
});
