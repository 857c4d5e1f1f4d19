import type { z } from 'zod';
import type { stageSchema } from './specSchema.js';

/**
 * The classic template used when a spec gives no stages: canary 1% for 2 h, ramp 10% for 4 h, rollout 100%.
 *
 * The comparative gates do the judging: canary against the concurrent baseline, anytime-valid (docs/judge.md). Each
 * has α = 0.01, so the four comparative tests of a rollout falsely roll back a healthy canary with probability at most
 * 4%, however often they are evaluated. A comparative gate passes only once non-inferiority is shown, which takes a
 * number of canary *events* that grows as the tolerance shrinks (docs/judge.md, "Choosing the tolerance"): at 1% of
 * traffic a service with 0.1% errors sees ~7 canary errors an hour, so the canary stage screens errors for gross
 * regressions only (3× the baseline) and leaves subtle ones to the ramp (30%), where ten times the traffic resolves
 * them. Latency has events to spare (5% of requests are slower than the baseline's p95, the default threshold, which
 * also resolves latency shifts several times faster than p99), so its tolerance is 50% and then 30%.
 *
 * The absolute gates are circuit breakers for catastrophes only (20% errors, p90 over 2 s): a fixed bound near a
 * service's normal level trips on noise in small windows (p99 over 20 samples is their maximum), and a canary
 * that is merely worse than the baseline is the comparative gates' job. The rollout stage has no baseline left to
 * compare with, so only breakers guard it, and it holds (alerts and waits for an operator) rather than rolling back.
 */
/** Fresh objects per stage (shared ones would print as YAML anchors in docs/spec.md). */
const canaryBreakers = () =>
  [
    { kind: 'errorRate', maxPercent: 20, samplesMin: 20 },
    { kind: 'latency', quantile: 0.9, maxMs: 2_000, samplesMin: 50 },
  ] as const;

export const DEFAULT_STAGES: z.input<typeof stageSchema>[] = [
  {
    name: 'canary',
    weightPercent: 1,
    durationMin: '2h',
    samplesMin: 100,
    gates: [
      ...canaryBreakers(),
      { kind: 'compareErrorRate', alpha: 0.01, tolerance: 2 },
      { kind: 'compareLatency', alpha: 0.01, tolerance: 0.5, baselineQuantile: 0.95 },
      { kind: 'sampleRatio' },
    ],
  },
  {
    name: 'ramp',
    weightPercent: 10,
    durationMin: '4h',
    samplesMin: 1000,
    gates: [
      ...canaryBreakers(),
      { kind: 'compareErrorRate', alpha: 0.01, tolerance: 0.3 },
      { kind: 'compareLatency', alpha: 0.01, tolerance: 0.3, baselineQuantile: 0.95 },
      { kind: 'sampleRatio' },
    ],
  },
  {
    name: 'rollout',
    weightPercent: 100,
    durationMin: '10m',
    samplesMin: 100,
    onFail: 'hold',
    gates: [
      { kind: 'errorRate', maxPercent: 5, sustainWindows: 3, samplesMin: 100 },
      { kind: 'latency', quantile: 0.9, maxMs: 2_000, sustainWindows: 3, samplesMin: 100 },
    ],
  },
];
