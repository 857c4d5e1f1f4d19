import { z } from 'zod';
import { durationInRange } from './durationSchema.js';
import { printableText } from './textSchema.js';

/**
 * Gate configurations, one object per kind, discriminated by `kind`. The judge (src/judge) implements each kind
 * behind the GateEvaluator interface; this file is only the validated shape users write in a spec.
 * Rates in specs are percentages (0–100) because that is how runbooks state them ("error rate < 1%").
 */
const gateName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "_" or "-"');
const sustainWindows = z.int().min(1).max(1_000).default(1).describe('Consecutive failing windows before the gate fails');
const samplesMin = z.int().min(0).max(1_000_000_000);
/** A latency bound in ms: positive, and no more than the hour the latency histograms can hold. */
const latencyMs = z.number().positive().max(3_600_000, 'at most 3600000 ms (1h), the longest latency recorded');
const presetInterval = durationInRange(1_000, 3_600_000).prefault('60s').describe('Check interval (1s–1h)');
const blockSamplesMin = 'Canary samples pooled into a block before it is judged; a smaller block fails early only when it already fails (see `confidence`)';
/**
 * Judge II. An open block is tested at every window, so a block judged on its first few requests is tested many times:
 * at 5% errors and 0.2 canary requests/s, "3 errors in the first 3" (p = 0.008 against 20%) rolled back 1.6% of
 * healthy rollouts (docs/judge.md, "Circuit breakers"). Specs stored before the field have none: every look counts.
 */
const earlySamplesMin = z
  .int()
  .min(1)
  .max(1_000_000_000)
  .default(6)
  .describe(
    'An open block (fewer than samplesMin samples) is tested early, at each window, only once it holds this many canary samples: tiny blocks looked at many times fail healthy canaries with a high normal error rate. A catastrophe still fails in the first window at ~10 canary requests',
  );
const alpha = z.number().gt(0).lt(0.5).default(0.05).describe('False-rollback probability bound (type I error), valid under continuous monitoring');
const tolerance = z.number().min(0).max(10).default(0.2).describe('Relative tolerance: 0.2 means the canary may be up to 20% worse than the baseline');
/**
 * Judge II (issue 16). Non-inferiority within a relative margin of a rare event needs more events than a stage sees, so
 * a good service's healthy release stalled and was rolled back at durationMax. Two fields fix that for new specs; a
 * spec stored before they existed has neither and is judged as it was (the golden log replays it unchanged).
 */
const marginFloorPercent = z
  .number()
  .min(0)
  .max(100)
  .default(0.05)
  .describe(
    'Absolute floor of the non-inferiority margin, in percentage points: to pass by proof the canary must be shown no worse than max((1 + tolerance) × baseline, baseline + marginFloorPercent) — "30% worse or 0.05 points worse, whichever is larger". Failing is unchanged: it still needs the canary to be worse than (1 + tolerance) × baseline',
  );
const passRule = z
  .enum(['shown', 'noHarm'])
  .default('noHarm')
  .describe(
    '`shown`: the gate passes only once non-inferiority is shown with confidence 1 − alpha. `noHarm`: it also passes once the stage has run its durationMin with samplesMin canary samples while the fail test is far from its bound (e-value below √(1/alpha)) — no evidence of harm, as much as the stage\'s traffic can show (`sluice plan` tells what that is)',
  );
/**
 * The breakers' significance level. A block of 20 requests at a 5% error rate shows 23% about once in 250 blocks, so
 * comparing the observed rate with the bound rolls healthy canaries back; the breakers test the block's counts
 * instead (docs/judge.md, "Circuit breakers"). 0 compares observed values, as Flagger and Argo Rollouts do.
 */
const confidence = (what: string) =>
  z
    .number()
    .min(0)
    .lt(1)
    .default(0.99)
    .describe(
      `A block fails only when its counts show, with this confidence, that ${what}: a one-sided exact binomial test, failing when the p-value is below 1 − confidence. 0 compares the observed value with the bound without a test, as Flagger and Argo Rollouts do`,
    );

export const errorRateGateSchema = z
  .object({
    kind: z.literal('errorRate'),
    name: gateName.optional(),
    maxPercent: z.number().min(0).max(100).describe('Bound on the canary error rate, in percent: a block whose rate is above it with `confidence` fails'),
    sustainWindows,
    samplesMin: samplesMin.default(20).describe(blockSamplesMin),
    earlySamplesMin,
    confidence: confidence('the canary error rate is above maxPercent'),
  })
  .strict()
  .describe('Absolute circuit breaker on the canary error rate');

export const latencyGateSchema = z
  .object({
    kind: z.literal('latency'),
    name: gateName.optional(),
    quantile: z.number().gt(0).lt(1).default(0.99).describe('Latency quantile, e.g. 0.99 for p99'),
    maxMs: latencyMs.describe('Bound on the canary latency quantile, ms: a block whose quantile is above it with `confidence` fails'),
    sustainWindows,
    samplesMin: samplesMin.default(20).describe(blockSamplesMin),
    earlySamplesMin,
    confidence: confidence('more than a share 1 − quantile of canary requests is slower than maxMs (the quantile is above maxMs)'),
  })
  .strict()
  .describe('Absolute circuit breaker on a canary latency quantile');

export const metricGateSchema = z
  .object({
    kind: z.literal('metric'),
    name: gateName.optional(),
    metric: printableText(128).describe('Name of the metric as reported in metric observations'),
    variant: z.enum(['canary', 'baseline']).default('canary'),
    min: z.number().optional().describe('Values below this fail'),
    max: z.number().optional().describe('Values above this fail'),
    sustainWindows,
  })
  .strict()
  .refine((g) => g.min !== undefined || g.max !== undefined, { message: 'a metric gate needs `min`, `max` or both', path: ['max'] })
  .describe('Absolute bound on a custom metric');

export const compareErrorRateGateSchema = z
  .object({
    kind: z.literal('compareErrorRate'),
    name: gateName.optional(),
    alpha,
    tolerance,
    marginFloorPercent,
    passRule,
    samplesMin: samplesMin.default(100).describe('Canary samples in the stage before a pass can be declared'),
  })
  .strict()
  .describe('Sequential canary-vs-baseline test on error counts');

export const compareLatencyGateSchema = z
  .object({
    kind: z.literal('compareLatency'),
    name: gateName.optional(),
    alpha,
    tolerance,
    thresholdMs: latencyMs.optional().describe('A request slower than this is slow; default: the baseline quantile below'),
    baselineQuantile: z.number().gt(0).lt(1).default(0.99).describe('When thresholdMs is absent, slow means slower than this quantile of the baseline'),
    marginFloorPercent,
    passRule,
    samplesMin: samplesMin.default(100),
  })
  .strict()
  .describe('Sequential canary-vs-baseline test on the share of slow requests');

export const sampleRatioGateSchema = z
  .object({
    kind: z.literal('sampleRatio'),
    name: gateName.optional(),
    alpha: z.number().gt(0).lt(0.5).default(0.001),
  })
  .strict()
  .describe('Observed canary share against the weight in force; a mismatch blocks judgment');

export const healthGateSchema = z
  .object({
    kind: z.literal('health'),
    name: gateName.optional(),
    failuresMax: z.int().min(1).max(1_000).default(3).describe('Consecutive failed probes that fail the gate'),
  })
  .strict()
  .describe('Health checks of the candidate');

export const flaggerGateSchema = z
  .object({
    kind: z.literal('flagger'),
    name: gateName.optional(),
    interval: presetInterval,
    threshold: z.int().min(1).max(1_000).default(5).describe('Failed checks before rollback (1–1,000)'),
    successRatePercentMin: z.number().min(0).max(100).default(99),
    latencyMsP99Max: latencyMs.default(500),
  })
  .strict()
  .describe("Flagger's documented analysis: thresholdRange per interval, rollback after `threshold` failed checks");

export const argoGateSchema = z
  .object({
    kind: z.literal('argo'),
    name: gateName.optional(),
    interval: presetInterval,
    failureLimit: z.int().min(0).max(1_000).default(3).describe('Failed measurements tolerated; one more fails the analysis'),
    successRatePercentMin: z.number().min(0).max(100).default(99),
    latencyMsP99Max: latencyMs.default(500),
  })
  .strict()
  .describe("Argo Rollouts' AnalysisTemplate: successCondition per interval, fail after more than failureLimit failures");

export const gateSchema = z.discriminatedUnion('kind', [
  errorRateGateSchema,
  latencyGateSchema,
  metricGateSchema,
  compareErrorRateGateSchema,
  compareLatencyGateSchema,
  sampleRatioGateSchema,
  healthGateSchema,
  flaggerGateSchema,
  argoGateSchema,
]);

export const GATE_KINDS = [
  'errorRate',
  'latency',
  'metric',
  'compareErrorRate',
  'compareLatency',
  'sampleRatio',
  'health',
  'flagger',
  'argo',
] as const;
