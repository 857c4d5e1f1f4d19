import type { z } from 'zod';
import type { stageSchema } from './specSchema.js';

/**
 * The classic template used when a spec gives no stages: canary 1% for 2 h, ramp 10% for 4 h, rollout 100%.
 *
 * The comparative gates do the judging: canary against the concurrent baseline, anytime-valid (docs/judge.md). Each
 * has α = 0.01, so the four comparative tests of a rollout falsely roll back a healthy canary with probability at most
 * 4%, however often they are evaluated. Failing needs a number of canary *events* that grows as the tolerance shrinks
 * (docs/judge.md, "Choosing the tolerance"): at 1% of traffic a service with 0.1% errors sees ~7 canary errors an hour,
 * so the canary stage screens errors for gross regressions only (3× the baseline) and leaves subtle ones to the ramp
 * (30%), where ten times the traffic resolves them. Latency has events to spare (5% of requests are slower than the
 * baseline's p95, the default threshold, which also resolves latency shifts several times faster than p99), so its
 * tolerance is 50% and then 30%. A stage passes on time (Judge II, docs/judge.md "Passing on time"): by proof of
 * non-inferiority within max(tolerance, +0.05 points), or at durationMin when no fail test is near its bound; a stage
 * that cannot pass by durationMax holds and alerts instead of rolling back (the schema's defaults, not written here).
 *
 * The absolute gates are circuit breakers for catastrophes only (20% errors, p90 over 2 s): a fixed bound near a
 * service's normal level trips on noise in small windows (p99 over 20 samples is their maximum), and a canary
 * that is merely worse than the baseline is the comparative gates' job. They fail a block only when its counts are
 * significantly above the bound (`confidence`, default 0.99): at 1% of traffic a block holds ~20 requests, and
 * comparing its observed rate with 20% rolled back most healthy canary stages of a service at 5% errors. The rollout
 * stage has no baseline left to compare with, so only breakers guard it, and it holds (alerts and waits for an
 * operator) rather than rolling back.
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

/**
 * What docs/spec.md says under the template (`pnpm docs:spec`): the breakers' measured behaviour, from the judge harness
 * (`bench/judge/run.ts`, docs/judge.md), in plain numbers. Update it with the harness's table when the breakers change.
 */
export const DEFAULT_STAGES_NOTES = `The breakers of the canary and ramp stages (\`errorRate\` 20%, \`latency\` p90 over 2 s) are for
catastrophes; the comparative gates judge whether the canary is worse than the baseline. A breaker fails a block of
canary requests only when its counts show, with \`confidence\` 0.99, that the true rate is above the bound
(docs/judge.md, "Circuit breakers"). Measured with the judge harness on the canary stage (1% of 200 requests/s, 2 h):

- **False rollbacks by the breakers** of a healthy canary whose baseline and canary both run at 2% errors: 0 of
  4,000 simulated stages (2.9% when the breakers compared observed rates); at 5% errors in both arms: 0.47% of stages
  (85% before).
- **Catastrophic canary** (50% errors): rolled back at the end of the first 5 s window in 56.5% of runs, within
  two in 94%, within three in 99.5% (63%, 98% and 100% before).

Set \`confidence: 0\` on a breaker to compare observed values with the bound, as Flagger and Argo Rollouts do.

The comparative gates pass on time (docs/judge.md, "Passing on time"): a healthy release of a good service passes each
stage at its \`durationMin\`, by proof of non-inferiority within max(tolerance, +0.05 points) or on no evidence of harm,
and a stage that cannot pass by its \`durationMax\` holds and alerts (\`onMaxDuration: hold\`) instead of rolling back.
What each stage can prove at your traffic: \`sluice plan\` (docs/plan.md).
`;
