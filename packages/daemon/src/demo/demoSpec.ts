import type { RolloutSpecInput } from '@sluice/core';

export interface DemoSpecOptions {
  rolloutId: string;
  candidate: string;
  adminUrl: string;
  /** Minimum time in each stage, ms. */
  stageMs: number;
  windowMs: number;
  /** The p95 latency breaker's bound, ms. */
  latencyMsMax: number;
}

/**
 * The demo's rollout: canary 10% → ramp 50% → rollout 100%, each stage judged by absolute circuit breakers (error
 * rate ≤ 5% in any window, p95 ≤ 300 ms by default for two windows) on 1-second windows, driving the in-process router over its admin endpoint. The stage
 * durations are the demo's shortening of the default template (2 h / 4 h / 10 min).
 */
export function demoSpec(options: DemoSpecOptions): RolloutSpecInput {
  const gates = [
    { kind: 'errorRate' as const, maxPercent: 5, samplesMin: 10 },
    // Two windows in a row: one garbage-collection pause on a busy laptop must not roll a healthy candidate back.
    { kind: 'latency' as const, quantile: 0.95, maxMs: options.latencyMsMax, samplesMin: 20, sustainWindows: 2 },
  ];
  const stage = (name: string, weightPercent: number, samplesMin: number) => ({
    name,
    weightPercent,
    durationMin: options.stageMs,
    durationMax: options.stageMs * 6,
    samplesMin,
    gates,
  });
  return {
    id: options.rolloutId,
    service: 'demo-shop',
    baseline: 'v1',
    candidate: options.candidate,
    window: options.windowMs,
    stages: [stage('canary', 10, 30), stage('ramp', 50, 100), stage('rollout', 100, 100)],
    adapter: { type: 'inprocess', options: { adminUrl: options.adminUrl } },
  };
}
