import { describe, expect, it } from 'vitest';
import { createRandom } from '@sluice/core/judge';
import { binomialUpperBound, runBreakerScenario, runScenario, WINDOW_MS } from './harness.js';
import { BREAKER_VARIANTS, sluiceJudge } from './judges.js';
import { breakerScenarios, scenarios, type ArmAt, type Scenario } from './scenarios.js';
import { drawSummaryWindow } from './summaryWindows.js';

/**
 * The harness's small version: statistical guarantees of the Sluice judge, checked on bounded seeds (deterministic:
 * the same seeds every run). No timing assertions.
 */
const HOUR = 3_600_000;
const template = scenarios({ aaSeeds: 1, seeds: 1 })[0]!;

function scenario(canaryAt: (t: number) => ArmAt, baselineAt: (t: number) => ArmAt = () => ({ errorRate: 0.01, latencyMultiplier: 1 })): Scenario {
  return { ...template, horizonMs: HOUR, changeAtMs: 600_000, canaryAt, baselineAt };
}

/** Runs the Sluice judge (at `alpha`) over `seeds` seeds; returns the rollback times (ms) or null per seed. */
function sluiceRollbacks(s: Scenario, seeds: number, alpha: number): Array<number | null> {
  return Array.from({ length: seeds }, (_, seed) => {
    const random = createRandom(0x5eed + seed);
    const judge = sluiceJudge(alpha, 0.2);
    for (let start = 0; start < s.horizonMs; start += WINDOW_MS) {
      const window = drawSummaryWindow(random, s, start, WINDOW_MS);
      if (judge.observe(window)) return window.endMs;
    }
    return null;
  });
}

const SEEDS = 200;
const ALPHA = 0.05;
const BOUND = binomialUpperBound(SEEDS, ALPHA, 0.001);

describe('Sluice judge, statistical guarantees', () => {
  it(`A/A: false rollbacks over ${SEEDS} seeds stay within the 99.9% binomial bound of α = ${ALPHA}`, () => {
    const rolled = sluiceRollbacks(scenario(() => ({ errorRate: 0.01, latencyMultiplier: 1 })), SEEDS, ALPHA).filter((t) => t !== null);
    expect(rolled.length).toBeLessThanOrEqual(BOUND);
  });

  it('a canary exactly at the tolerance (1.2× the baseline error rate) is still rolled back with probability ≤ α', () => {
    const rolled = sluiceRollbacks(scenario(() => ({ errorRate: 0.012, latencyMultiplier: 1 })), 100, ALPHA).filter((t) => t !== null);
    expect(rolled.length).toBeLessThanOrEqual(binomialUpperBound(100, ALPHA, 0.001));
  });

  it('detects a clear regression (1% → 3% errors at 10 min) in nearly every run, never before it starts', () => {
    const regression = scenario((t) => ({ errorRate: t >= 600_000 ? 0.03 : 0.01, latencyMultiplier: 1 }));
    const times = sluiceRollbacks(regression, 40, 0.01);
    expect(times.filter((t) => t !== null && t <= 600_000)).toEqual([]);
    expect(times.filter((t) => t !== null).length).toBeGreaterThanOrEqual(38);
  });

  it('does not roll back a canary for a shared incident that hits both arms', () => {
    const incident = (t: number): ArmAt => (t >= 600_000 && t < 1_800_000 ? { errorRate: 0.05, latencyMultiplier: 4 } : { errorRate: 0.001, latencyMultiplier: 1 });
    const rolled = sluiceRollbacks(scenario(incident, incident), 30, 0.01).filter((t) => t !== null);
    expect(rolled.length).toBeLessThanOrEqual(binomialUpperBound(30, 0.02, 0.001));
  });
});

describe("the default template's error breaker (20% over blocks of 20 canary requests)", () => {
  const breaker = (name: string, seeds: number) => ({ ...breakerScenarios({ aaSeeds: seeds, seeds }).find((s) => s.name === name)!, seeds });

  it('does not roll back an A/A canary stage at 5% errors, which comparing the observed rate did in most runs', () => {
    const [before, after] = runBreakerScenario(breaker('breaker-aa-5%', 30), [BREAKER_VARIANTS[0]!, BREAKER_VARIANTS[2]!]);
    expect(after!.rollbacks).toBe(0);
    // Measured 87% of stages in the full run; a healthy canary still rolled back in most of these.
    expect(before!.rollbacks).toBeGreaterThanOrEqual(15);
  });

  it('still rolls back a 50%-error canary at 1% of traffic within the first minute, mostly within three windows', () => {
    const [after] = runBreakerScenario({ ...breaker('breaker-catastrophic', 40), horizonMs: 12 * WINDOW_MS }, [BREAKER_VARIANTS[2]!]);
    expect(after!.rollbacks).toBe(40);
    expect(after!.withinWindows[2]).toBeGreaterThanOrEqual(25);
  });
});

describe('presets on the same traffic', () => {
  it("Flagger's and Argo's fixed 99% bound roll back an identical canary of a 1%-error service", () => {
    const result = runScenario({ ...scenario(() => ({ errorRate: 0.01, latencyMultiplier: 1 })), seeds: 5 });
    expect(result.flagger.rollbacks).toBeGreaterThanOrEqual(4);
    expect(result.argo.rollbacks).toBeGreaterThanOrEqual(4);
    expect(result.sluice.rollbacks).toBeLessThanOrEqual(1);
  });
});

describe('binomialUpperBound', () => {
  it('is the smallest k with P(X > k) < p', () => {
    expect(binomialUpperBound(10, 0.5, 0.5)).toBe(5);
    expect(binomialUpperBound(200, 0.05, 0.001)).toBeGreaterThan(10);
    expect(binomialUpperBound(200, 0.05, 0.001)).toBeLessThan(25);
  });
});
