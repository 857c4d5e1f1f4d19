import type { z } from 'zod';
import type { stageSchema } from './specSchema.js';

/**
 * The classic template used when a spec gives no stages: canary 1% for 2 h, ramp 10% for 4 h, rollout 100%.
 * Absolute limits are circuit breakers; the comparative gates judge the canary against the concurrent baseline.
 * The rollout stage holds (alerts and waits for an operator) rather than rolling back, as many runbooks do at 100%.
 */
export const DEFAULT_STAGES: z.input<typeof stageSchema>[] = [
  {
    name: 'canary',
    weightPercent: 1,
    durationMin: '2h',
    samplesMin: 100,
    gates: [
      { kind: 'errorRate', maxPercent: 1 },
      { kind: 'latency', quantile: 0.99, maxMs: 200 },
      { kind: 'compareErrorRate' },
      { kind: 'compareLatency' },
      { kind: 'sampleRatio' },
    ],
  },
  {
    name: 'ramp',
    weightPercent: 10,
    durationMin: '4h',
    samplesMin: 1000,
    gates: [
      { kind: 'errorRate', maxPercent: 0.5 },
      { kind: 'latency', quantile: 0.99, maxMs: 200 },
      { kind: 'compareErrorRate' },
      { kind: 'compareLatency' },
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
      { kind: 'errorRate', maxPercent: 0.1 },
      { kind: 'latency', quantile: 0.99, maxMs: 200 },
    ],
  },
];
