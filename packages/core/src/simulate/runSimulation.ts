import type { NewDecisionEvent, WeightDesiredData } from '../events/eventTypes.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { createRandom } from './prng.js';
import type { RolloutDriver } from './rolloutDriver.js';
import { inMemoryDriver } from './rolloutDriver.js';
import { summarizeSimulation, type SimulationResult } from './simulationResult.js';
import { generateWindow, type WeightSegment } from './trafficGenerator.js';
import type { TrafficModel } from './trafficModel.js';

/** Event time of simulated time 0 (2026-01-01T00:00:00Z): events carry realistic timestamps, results are relative. */
export const SIMULATION_EPOCH_MS = Date.UTC(2026, 0, 1);

export interface SimulationOptions {
  /** Delay between a `weight.desired` decision and the simulated adapter's `weight.applied`; default 0. */
  applyDelayMs?: number;
  /** The rollout to drive; default the pure decider in memory (pass `sessionDriver` to keep an event log). */
  driver?: (spec: RolloutSpec, at: number) => RolloutDriver;
  /**
   * Draw latencies from this many equally likely values of each arm's distribution instead of exactly (0, the default):
   * several times faster at high traffic, for the judge harness's many-seed runs (trafficGenerator.ts).
   */
  latencyBins?: number;
}

/**
 * Runs a whole rollout in virtual time, closed loop: windows of the spec's length are drawn from the traffic model
 * with the weight in force, fed to the machine as `samples.window` followed by a `tick` at the window's end, and every
 * `weight.desired` is applied by the simulated adapter after `applyDelayMs` (a `weight.applied` input). Stops at the
 * first terminal state or when the model's duration is reached. Deterministic: same spec, model and options, same result.
 */
export function runSimulation(spec: RolloutSpec, model: TrafficModel, options: SimulationOptions = {}): SimulationResult {
  const applyDelayMs = options.applyDelayMs ?? 0;
  const random = createRandom(model.seed);
  const epoch = SIMULATION_EPOCH_MS;
  const driver = (options.driver ?? inMemoryDriver)(spec, epoch);
  const decisions: NewDecisionEvent[] = [];
  let weightInForce = 0;
  let pending: Array<{ applyAtMs: number; data: WeightDesiredData }> = [];
  const schedule = (batch: NewDecisionEvent[]): void => {
    for (const decision of batch) {
      decisions.push(decision);
      if (decision.type === 'weight.desired') pending.push({ applyAtMs: decision.at - epoch + applyDelayMs, data: decision.data });
    }
  };
  schedule(driver.initialDecisions);

  for (let windowStart = 0; windowStart < model.durationMs && !driver.view().terminal; windowStart += spec.window) {
    const windowEnd = Math.min(windowStart + spec.window, model.durationMs);
    const segments: WeightSegment[] = [];
    let segmentStart = windowStart;
    // Apply every weight change due before the window ends, in order; each splits the window.
    for (;;) {
      const due = pending.find((p) => p.applyAtMs < windowEnd);
      if (!due) break;
      pending = pending.filter((p) => p !== due);
      const applyAt = Math.max(due.applyAtMs, segmentStart);
      if (applyAt > segmentStart) segments.push({ fromMs: segmentStart, toMs: applyAt, weightPercent: weightInForce });
      segmentStart = applyAt;
      weightInForce = due.data.weightPercent;
      schedule(driver.ingest({ type: 'weight.applied', at: epoch + applyAt, data: { generation: due.data.generation, weightPercent: due.data.weightPercent } }));
      if (driver.view().terminal) break;
    }
    if (driver.view().terminal) break;
    segments.push({ fromMs: segmentStart, toMs: windowEnd, weightPercent: weightInForce });
    const window = generateWindow(random, model, segments, epoch, options.latencyBins ?? 0);
    schedule(driver.ingest({ type: 'samples.window', at: window.windowEndAt, data: window }));
    if (!driver.view().terminal) schedule(driver.ingest({ type: 'tick', at: epoch + windowEnd, data: {} }));
  }
  return summarizeSimulation(decisions, driver.view(), epoch, model.durationMs);
}
