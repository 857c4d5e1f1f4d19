/**
 * The harness's scenarios: one stage at a fixed canary weight, judged for `horizonMs`, with the model's parameters
 * changing at `changeAtMs` (the regression, or the shared incident). Times are ms from the start of the stage.
 */
export interface ArmAt {
  errorRate: number;
  /** Multiplies the base latency (lognormal median 40 ms, σ 0.6: p95 107 ms, p99 162 ms). */
  latencyMultiplier: number;
}

export interface Scenario {
  name: string;
  /** What the scenario is, in a few words, for the table. */
  label: string;
  kind: 'aa' | 'regression' | 'shared' | 'catastrophic';
  seeds: number;
  requestsPerSecond: number;
  weightPercent: number;
  horizonMs: number;
  changeAtMs: number;
  /** Per-arm parameters at time t (ms from the start). */
  baselineAt(t: number): ArmAt;
  canaryAt(t: number): ArmAt;
  /** Diurnal swing of the request rate, or null. */
  diurnal: { amplitude: number; periodMs: number } | null;
}

export const LATENCY_MEDIAN_MS = 40;
export const LATENCY_SIGMA = 0.6;
const MINUTE = 60_000;
const HOUR = 3_600_000;

const steady = (errorRate: number, latencyMultiplier = 1) => (): ArmAt => ({ errorRate, latencyMultiplier });
const stepAt = (at: number, before: ArmAt, after: ArmAt) => (t: number): ArmAt => (t >= at ? after : before);

const base = { requestsPerSecond: 200, weightPercent: 10, horizonMs: 2 * HOUR, changeAtMs: 10 * MINUTE, diurnal: null };

export function scenarios(scale: { aaSeeds: number; seeds: number }): Scenario[] {
  const { aaSeeds, seeds } = scale;
  return [
    { ...base, name: 'aa-1%', label: 'A/A, 1% errors', kind: 'aa', seeds: aaSeeds, changeAtMs: 0, baselineAt: steady(0.01), canaryAt: steady(0.01) },
    { ...base, name: 'aa-0.1%', label: 'A/A, 0.1% errors', kind: 'aa', seeds: aaSeeds, changeAtMs: 0, baselineAt: steady(0.001), canaryAt: steady(0.001) },
    { ...base, name: 'aa-low', label: 'A/A, low traffic (2 rps canary), 1% errors', kind: 'aa', seeds: aaSeeds, requestsPerSecond: 20, horizonMs: 4 * HOUR, changeAtMs: 0, baselineAt: steady(0.01), canaryAt: steady(0.01) },
    { ...base, name: 'err-1-2', label: 'errors 1% → 2%', kind: 'regression', seeds, baselineAt: steady(0.01), canaryAt: stepAt(10 * MINUTE, { errorRate: 0.01, latencyMultiplier: 1 }, { errorRate: 0.02, latencyMultiplier: 1 }) },
    { ...base, name: 'err-0.1-0.3', label: 'errors 0.1% → 0.3%', kind: 'regression', seeds, baselineAt: steady(0.001), canaryAt: stepAt(10 * MINUTE, { errorRate: 0.001, latencyMultiplier: 1 }, { errorRate: 0.003, latencyMultiplier: 1 }) },
    { ...base, name: 'p99+30', label: 'latency +30% (p99 162 → 211 ms)', kind: 'regression', seeds, baselineAt: steady(0.001), canaryAt: stepAt(10 * MINUTE, { errorRate: 0.001, latencyMultiplier: 1 }, { errorRate: 0.001, latencyMultiplier: 1.3 }) },
    {
      ...base,
      name: 'slow-burn',
      label: 'slow burn: errors 0.1% → 2% over 1 h',
      kind: 'regression',
      seeds,
      baselineAt: steady(0.001),
      canaryAt: (t) => ({ errorRate: t < 10 * MINUTE ? 0.001 : 0.001 + 0.019 * Math.min(1, (t - 10 * MINUTE) / HOUR), latencyMultiplier: 1 }),
    },
    { ...base, name: 'low-traffic', label: 'low traffic (2 rps canary), errors 1% → 2%', kind: 'regression', seeds, requestsPerSecond: 20, horizonMs: 4 * HOUR, baselineAt: steady(0.01), canaryAt: stepAt(10 * MINUTE, { errorRate: 0.01, latencyMultiplier: 1 }, { errorRate: 0.02, latencyMultiplier: 1 }) },
    { ...base, name: 'diurnal', label: 'diurnal ±50%/2 h, errors 1% → 2%', kind: 'regression', seeds, diurnal: { amplitude: 0.5, periodMs: 2 * HOUR }, baselineAt: steady(0.01), canaryAt: stepAt(10 * MINUTE, { errorRate: 0.01, latencyMultiplier: 1 }, { errorRate: 0.02, latencyMultiplier: 1 }) },
    {
      ...base,
      name: 'shared',
      label: 'shared incident: both arms 0.1% → 5% errors, latency ×4, for 20 min',
      kind: 'shared',
      seeds,
      baselineAt: (t) => (t >= 10 * MINUTE && t < 30 * MINUTE ? { errorRate: 0.05, latencyMultiplier: 4 } : { errorRate: 0.001, latencyMultiplier: 1 }),
      canaryAt: (t) => (t >= 10 * MINUTE && t < 30 * MINUTE ? { errorRate: 0.05, latencyMultiplier: 4 } : { errorRate: 0.001, latencyMultiplier: 1 }),
    },
  ];
}

/**
 * The default template's error breaker (20% over blocks of 20 canary requests) on healthy canaries, on a shared
 * incident and on a catastrophic canary: at the canary stage (1% of 200 requests/s, ~10 canary requests per window,
 * 2 h) and at the ramp stage (10%, 4 h).
 */
export function breakerScenarios(scale: { aaSeeds: number; seeds: number }): Scenario[] {
  const { aaSeeds, seeds } = scale;
  const canaryStage = { ...base, weightPercent: 1, changeAtMs: 0 };
  const rampStage = { ...base, weightPercent: 10, horizonMs: 4 * HOUR, changeAtMs: 0 };
  const incident = (t: number): ArmAt => (t >= 15 * MINUTE ? { errorRate: 0.05, latencyMultiplier: 1 } : { errorRate: 0.001, latencyMultiplier: 1 });
  return [
    { ...canaryStage, name: 'breaker-aa-2%', label: 'A/A, 2% errors, canary stage', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.02), canaryAt: steady(0.02) },
    { ...canaryStage, name: 'breaker-aa-5%', label: 'A/A, 5% errors, canary stage', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.05), canaryAt: steady(0.05) },
    { ...canaryStage, name: 'breaker-aa-10%', label: 'A/A, 10% errors, canary stage', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.1), canaryAt: steady(0.1) },
    { ...rampStage, name: 'breaker-aa-5%-ramp', label: 'A/A, 5% errors, ramp stage', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.05), canaryAt: steady(0.05) },
    // Low traffic: one canary request every 5 s, so the open block is looked at after each of its first requests.
    { ...canaryStage, requestsPerSecond: 20, name: 'breaker-aa-5%-low', label: 'A/A, 5% errors, canary stage at low traffic', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.05), canaryAt: steady(0.05) },
    { ...rampStage, requestsPerSecond: 2, name: 'breaker-aa-5%-ramp-low', label: 'A/A, 5% errors, ramp stage at low traffic', kind: 'aa', seeds: aaSeeds, baselineAt: steady(0.05), canaryAt: steady(0.05) },
    { ...canaryStage, name: 'breaker-shared', label: 'shared incident: both arms 0.1% → 5% errors from 15 min, canary stage', kind: 'shared', seeds, changeAtMs: 15 * MINUTE, baselineAt: incident, canaryAt: incident },
    { ...canaryStage, name: 'breaker-catastrophic', label: 'catastrophic: canary 50% errors from the start, canary stage', kind: 'catastrophic', seeds: aaSeeds, horizonMs: 10 * MINUTE, baselineAt: steady(0.01), canaryAt: steady(0.5) },
  ];
}
