import { describe, expect, it } from 'vitest';
import type { NewInputEvent } from '../events/eventTypes.js';
import { uniformSampleWindow } from '../simulate/variantWindow.js';
import { gateSchema } from '../spec/gateSchema.js';
import type { GateConfig, StageSpec } from '../spec/specSchema.js';
import { notWorseBoundaryRho, baselineRateUpperBound } from './comparativeJudgment.js';
import { emptyTotals } from './comparativeEvidence.js';
import type { GateContext, GateResult } from './gate.js';
import { gateEvaluatorFor } from './registry.js';

/**
 * Judge II (docs/judge.md, "Passing on time"): the margin's absolute floor, `passRule: noHarm` at the stage's
 * durationMin, and specs stored before both, which must be judged exactly as before.
 */
const WINDOW_MS = 5_000;
const DURATION_MIN_MS = 10 * 60_000;
const stage = { name: 'ramp', durationMin: DURATION_MIN_MS } as StageSpec;

type Arm = { count: number; errors: number };
const windowEvent = (i: number, baseline: Arm, canary: Arm): NewInputEvent => {
  const data = uniformSampleWindow(i * WINDOW_MS, WINDOW_MS, { latencyMs: 40, ...baseline }, { latencyMs: 40, ...canary });
  return { type: 'samples.window', at: data.windowEndAt, data };
};

/** Runs a gate over windows 0…n−1 with the stage clock at each window's end, as the machine gives it. */
function run(config: GateConfig, events: NewInputEvent[]): GateResult[] {
  const evaluator = gateEvaluatorFor(config.kind);
  const base: GateContext = { stage, stageIndex: 1, stageEnteredAt: 0, weightAppliedPercent: 10, weightAppliedAt: 0, windowMs: WINDOW_MS, stageElapsedMs: null };
  let state = evaluator.init(config, base);
  const results: GateResult[] = [];
  for (const event of events) {
    const out = evaluator.observe(config, state, event, { ...base, stageElapsedMs: event.at });
    if (!out) continue;
    state = out.state;
    results.push(out.result);
  }
  return results;
}
const repeat = (n: number, make: (i: number) => NewInputEvent): NewInputEvent[] => Array.from({ length: n }, (_, i) => make(i));
const windowsTo = (ms: number) => ms / WINDOW_MS;

describe('passRule: noHarm', () => {
  const config = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3, samplesMin: 100 });

  it('passes at durationMin with no evidence of harm, not a window before, and says what it could have seen', () => {
    // ~0.06% errors in both arms: far too few events to show non-inferiority in 10 minutes.
    const results = run(config, repeat(windowsTo(DURATION_MIN_MS) + 1, (i) => windowEvent(i, { count: 900, errors: i % 2 }, { count: 100, errors: i % 18 === 0 ? 1 : 0 })));
    const beforeMin = results[windowsTo(DURATION_MIN_MS) - 2]!;
    const atMin = results[windowsTo(DURATION_MIN_MS) - 1]!;
    expect(beforeMin.verdict).toBe('inconclusive');
    expect(atMin.verdict).toBe('pass');
    expect(atMin.evidence).toMatchObject({ passRule: 'noHarm', passedBy: 'noHarm', marginFloorPercent: 0.05 });
    expect(atMin.evidence.detectableRelativeRisk as number).toBeGreaterThan(1.3);
    expect(atMin.evidence.summary).toMatch(/no evidence of harm after the stage's minimum duration \(e-value .* < 10\.0, fail bound 100\); .*would have failed it by now \(90% power\)$/);
  });

  it('does not pass while the fail test is near its bound, and still fails a clear regression', () => {
    // The canary has 3× the baseline's rate: the fail e-value climbs; the gate must not pass on "no harm" meanwhile.
    const results = run(config, repeat(windowsTo(DURATION_MIN_MS) + 40, (i) => windowEvent(i, { count: 900, errors: 9 }, { count: 100, errors: i % 3 === 0 ? 9 : 0 })));
    expect(results.some((r) => r.evidence.passedBy === 'noHarm')).toBe(false);
    expect(results.at(-1)!.verdict).toBe('fail');
  });

  it('is not a pass without samplesMin canary samples, or with passRule: shown', () => {
    const few = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3, samplesMin: 1_000_000 });
    const windows = repeat(windowsTo(DURATION_MIN_MS) + 1, (i) => windowEvent(i, { count: 900, errors: 0 }, { count: 100, errors: 0 }));
    expect(run(few, windows).at(-1)!.verdict).toBe('inconclusive');
    const shown = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3, passRule: 'shown' });
    expect(run(shown, windows).at(-1)!.verdict).toBe('inconclusive');
    // No canary request at all is never a pass, whatever the time.
    expect(run(config, repeat(windowsTo(DURATION_MIN_MS) + 1, (i) => windowEvent(i, { count: 900, errors: 1 }, { count: 0, errors: 0 }))).at(-1)!.verdict).toBe('inconclusive');
  });
});

describe('the margin floor', () => {
  it('widens the not-worse boundary only for rare baseline events, from windows before the one judged', () => {
    const settings = { alpha: 0.01, tolerance: 0.3, samplesMin: 100, marginFloorPercent: 0.05 };
    expect(notWorseBoundaryRho(settings, emptyTotals())).toBe(1.3);
    // Baseline at 0.01%: 100 events in 1,000,000 requests; the upper bound of its rate is (√101 + 1)² / 1e6 ≈ 0.0123%.
    const rare = { canaryCount: 0, baselineCount: 1_000_000, canaryEvents: 0, baselineEvents: 100, windows: 1 };
    expect(baselineRateUpperBound(rare)).toBeCloseTo(Math.pow(Math.sqrt(101) + 1, 2) / 1e6, 12);
    expect(notWorseBoundaryRho(settings, rare)).toBeCloseTo(1 + 0.0005 / baselineRateUpperBound(rare)!, 9);
    // At 1% the relative tolerance is the larger margin: unchanged.
    expect(notWorseBoundaryRho(settings, { ...rare, baselineEvents: 10_000 })).toBe(1.3);
  });

  it('shows non-inferiority of a rare-error canary where the relative margin alone cannot', () => {
    // 0.02% errors in both arms at 10% weight, 40 minutes: a few dozen events.
    const windows = repeat(480, (i) => windowEvent(i, { count: 9_000, errors: i % 2 === 0 ? 2 : 1 }, { count: 1_000, errors: i % 6 === 0 ? 1 : 0 }));
    const withFloor = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3, passRule: 'shown' });
    const withoutFloor = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3, passRule: 'shown', marginFloorPercent: 0 });
    const firstPass = (results: GateResult[]) => results.findIndex((r) => r.verdict === 'pass');
    expect(firstPass(run(withFloor, windows))).toBeGreaterThan(0);
    expect(run(withFloor, windows).find((r) => r.verdict === 'pass')!.evidence.summary).toMatch(/not worse than max\(130% of baseline, baseline \+ 0\.05 points\) with confidence 0\.99/);
    expect(firstPass(run(withoutFloor, windows))).toBe(-1);
  });
});

describe('specs stored before Judge II', () => {
  it('are judged as they were: no pass without proof, no new evidence fields', () => {
    const { passRule: _passRule, marginFloorPercent: _floor, ...old } = gateSchema.parse({ kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3 }) as Extract<GateConfig, { kind: 'compareErrorRate' }>;
    const results = run(old as GateConfig, repeat(windowsTo(DURATION_MIN_MS) + 20, (i) => windowEvent(i, { count: 900, errors: i % 2 }, { count: 100, errors: i % 18 === 0 ? 1 : 0 })));
    expect(results.every((r) => r.verdict === 'inconclusive')).toBe(true);
    for (const key of ['passRule', 'marginFloorPercent', 'notWorseBoundaryRelativeRisk', 'logHarmBound', 'passedBy', 'detectableRelativeRisk']) {
      expect(results.at(-1)!.evidence).not.toHaveProperty(key);
    }
  });
});
