import { createRandom } from '@sluice/core/judge';
import { ARGO_98_CONFIG, FLAGGER_98_CONFIG, argoJudge, breakerJudge, flaggerJudge, sluiceJudge, type BreakerVariant, type Judge } from './judges.js';
import type { Scenario } from './scenarios.js';
import { drawSummaryWindow } from './summaryWindows.js';

export const WINDOW_MS = 5_000;
export const JUDGE_NAMES = ['sluice', 'flagger', 'argo', 'flagger98', 'argo98'] as const;
export type JudgeName = (typeof JUDGE_NAMES)[number];

/** One judge's outcome on one seed: when it rolled back (ms from the start), and canary requests since the change. */
export interface RunOutcome {
  rollbackAtMs: number | null;
  canaryRequestsSinceChange: number | null;
}

export interface JudgeSummary {
  runs: number;
  /** Rollbacks at any time (A/A and shared incident: all of them are false). */
  rollbacks: number;
  /** Rollbacks before the change (false alarms in a regression scenario). */
  rollbacksBeforeChange: number;
  /** Rollbacks at or after the change. */
  detections: number;
  /** Median over detecting runs, or null when none detected. */
  delaySecondsMedian: number | null;
  canaryRequestsMedian: number | null;
}

/** Runs every seed of a scenario through all three judges on identical window streams. */
export function runScenario(scenario: Scenario, seedOffset = 0): Record<JudgeName, JudgeSummary> {
  const outcomes: Record<JudgeName, RunOutcome[]> = { sluice: [], flagger: [], argo: [], flagger98: [], argo98: [] };
  for (let seed = 0; seed < scenario.seeds; seed++) {
    const random = createRandom(hashName(scenario.name) ^ (seed + seedOffset));
    const judges: Judge[] = [sluiceJudge(), flaggerJudge(), argoJudge(), flaggerJudge(FLAGGER_98_CONFIG, 'flagger98'), argoJudge(ARGO_98_CONFIG, 'argo98')];
    const done = new Map<string, RunOutcome>();
    let canarySinceChange = 0;
    for (let start = 0; start < scenario.horizonMs && done.size < judges.length; start += WINDOW_MS) {
      const window = drawSummaryWindow(random, scenario, start, WINDOW_MS);
      if (start >= scenario.changeAtMs) canarySinceChange += window.canary.count;
      for (const judge of judges) {
        if (done.has(judge.name)) continue;
        if (judge.observe(window)) done.set(judge.name, { rollbackAtMs: window.endMs, canaryRequestsSinceChange: window.endMs > scenario.changeAtMs ? canarySinceChange : null });
      }
    }
    for (const name of JUDGE_NAMES) outcomes[name].push(done.get(name) ?? { rollbackAtMs: null, canaryRequestsSinceChange: null });
  }
  return Object.fromEntries(JUDGE_NAMES.map((name) => [name, summarize(outcomes[name], scenario.changeAtMs)])) as Record<JudgeName, JudgeSummary>;
}

export interface BreakerSummary {
  variant: BreakerVariant;
  runs: number;
  rollbacks: number;
  /** Median time from the start to the rollback over the runs that rolled back, ms. */
  rollbackAtMsMedian: number | null;
  /** Runs rolled back at the end of window 1, within 2, within 3. */
  withinWindows: [number, number, number];
}

/** Runs every seed of a scenario through the default error breaker in each variant, on identical window streams. */
export function runBreakerScenario(scenario: Scenario, variants: readonly BreakerVariant[]): BreakerSummary[] {
  const times: number[][] = variants.map(() => []);
  for (let seed = 0; seed < scenario.seeds; seed++) {
    const random = createRandom(hashName(scenario.name) ^ seed);
    const judges = variants.map((v) => breakerJudge(v));
    const rolledAt: Array<number | null> = variants.map(() => null);
    let open = judges.length;
    for (let start = 0; start < scenario.horizonMs && open > 0; start += WINDOW_MS) {
      const window = drawSummaryWindow(random, scenario, start, WINDOW_MS);
      for (let j = 0; j < judges.length; j++) {
        if (rolledAt[j] !== null || !judges[j]!.observe(window)) continue;
        rolledAt[j] = window.endMs;
        times[j]!.push(window.endMs);
        open--;
      }
    }
  }
  return variants.map((variant, j) => {
    const within = (windows: number) => times[j]!.filter((t) => t <= windows * WINDOW_MS).length;
    return { variant, runs: scenario.seeds, rollbacks: times[j]!.length, rollbackAtMsMedian: median(times[j]!), withinWindows: [within(1), within(2), within(3)] };
  });
}

function summarize(runs: RunOutcome[], changeAtMs: number): JudgeSummary {
  const rolled = runs.filter((r) => r.rollbackAtMs !== null);
  const before = rolled.filter((r) => r.rollbackAtMs! <= changeAtMs);
  const detected = rolled.filter((r) => r.rollbackAtMs! > changeAtMs);
  return {
    runs: runs.length,
    rollbacks: rolled.length,
    rollbacksBeforeChange: before.length,
    detections: detected.length,
    delaySecondsMedian: median(detected.map((r) => (r.rollbackAtMs! - changeAtMs) / 1000)),
    canaryRequestsMedian: median(detected.map((r) => r.canaryRequestsSinceChange ?? 0)),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Upper end of a one-sided binomial test: the smallest k with P(X > k) < p for X ~ Bin(n, q) — counts above it are significant. */
export function binomialUpperBound(n: number, q: number, p: number): number {
  let pmf = (1 - q) ** n;
  let cdf = pmf;
  for (let k = 0; k < n; k++) {
    if (1 - cdf < p) return k;
    pmf *= ((n - k) / (k + 1)) * (q / (1 - q));
    cdf += pmf;
  }
  return n;
}
