import { z } from 'zod';
import { DURATION_MS_MAX, durationInRange, WINDOW_MS_FLOOR, WINDOW_MS_MAX } from './durationSchema.js';
import { httpUrl, printableText } from './textSchema.js';
import { gateSchema } from './gateSchema.js';

/**
 * The rollout spec. Input is YAML or JSON; parseSpec validates it with this schema, fills defaults, and reports every
 * problem at once. `docs/spec.md` is generated from this file (pnpm docs:spec) — a field's `.describe()` is its doc.
 */
const DAY_MS = 86_400_000;

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, 'lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit');

export const weightPercentSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((w) => Math.abs(w * 100 - Math.round(w * 100)) < 1e-9, 'at most two decimals, e.g. 12.5 or 0.25')
  .describe('Canary traffic share in percent, 0–100 with at most two decimals');

export const onMaxDurationSchema = z
  .discriminatedUnion('action', [
    z.object({ action: z.literal('hold') }).strict(),
    z.object({ action: z.literal('rollback') }).strict(),
    z
      .object({
        action: z.literal('extend'),
        extendBy: durationInRange(1_000, 30 * DAY_MS).describe('How long each extension adds (1s–30d)'),
        extensionsMax: z.int().min(1).max(100).default(1).describe('Extensions allowed; past the last one the stage rolls back'),
      })
      .strict(),
  ])
  .describe(
    'What happens when the stage reaches durationMax without passing: `hold` (default) alerts (`stage.held`) and waits for an operator while the gates keep judging — a fail still rolls back, and the stage advances by itself if it passes later; `rollback` rolls back (missing evidence is then a rollback, as before Judge II); `extend` grants `extensionsMax` extensions of `extendBy`, then rolls back',
  );

export const approvalSchema = z
  .object({
    manual: z.boolean().default(false).describe('Wait for an operator `promote` before leaving the stage'),
    webhook: httpUrl().optional().describe("Wait for this http(s) URL to answer 2xx before leaving the stage (Flagger's confirm-promotion)"),
  })
  .strict()
  .describe('A stage that passed waits for this approval before the next stage');

export const stageSchema = z
  .object({
    name: printableText(64).describe('Stage name, shown in events and status (no control characters)'),
    weightPercent: weightPercentSchema,
    durationMin: durationInRange(0, 30 * DAY_MS).prefault(0).describe('Minimum time in the stage before it can pass (0–30d)'),
    durationMax: durationInRange(0, DURATION_MS_MAX).optional().describe('Maximum time in the stage while gates are inconclusive (0–60d); default max(2 × durationMin, durationMin + 10m)'),
    samplesMin: z.int().min(0).max(1_000_000_000).default(100).describe('Minimum canary samples in the stage before it can pass (0–1,000,000,000)'),
    onMaxDuration: onMaxDurationSchema.default({ action: 'hold' }),
    gates: z.array(gateSchema).max(32).default([]).describe('Gates judged in this stage'),
    onFail: z.enum(['rollback', 'hold']).default('rollback').describe('What a failed gate does: roll back, or alert and hold for an operator'),
    approval: approvalSchema.optional(),
  })
  .strict();

export const rollbackSchema = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('immediate') }).strict(),
    z
      .object({
        mode: z.literal('gradual'),
        stepsPercent: z.array(weightPercentSchema).min(1).max(20).describe('Descending weights to pass through before 0'),
        stepDuration: durationInRange(0, DAY_MS).prefault('30s').describe('Time at each step (0–1d)'),
      })
      .strict(),
  ])
  .default({ mode: 'immediate' })
  .describe('How the canary weight returns to 0 on rollback');

export const ADAPTER_TYPES = ['none', 'inprocess', 'nginx', 'envoy', 'kubernetes', 'haproxy'] as const;

export const adapterRefSchema = z
  .object({
    type: z.enum(ADAPTER_TYPES).describe('Traffic layer that applies the weights; `none` only records them (simulation)'),
    options: z.record(z.string(), z.unknown()).default({}).describe('Adapter options, validated by the adapter'),
  })
  .strict()
  .default({ type: 'none', options: {} });

export const NOTIFICATION_EVENTS = [
  'stage.entered',
  'paused',
  'rollback.started',
  'rollback.completed',
  'completed',
  'aborted',
  'weight.applyFailed',
  'stage.held',
] as const;

export const webhookSchema = z
  .object({
    url: httpUrl().describe('Receives a POST with a JSON body (http or https)'),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).max(32).optional().describe('Events to send; default all'),
    secretEnv: z.string().max(128).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name: letters, digits and "_", not starting with a digit').optional().describe('Environment variable holding the HMAC-SHA256 signing secret'),
  })
  .strict();

export const notificationsSchema = z
  .object({ webhooks: z.array(webhookSchema).max(16).default([]) })
  .strict()
  .default({ webhooks: [] });

export const healthProbeSchema = z
  .object({
    url: httpUrl().describe('Probed with GET; 2xx is healthy (http or https)'),
    interval: durationInRange(1_000, 3_600_000).prefault('5s').describe('Time between probes (1s–1h)'),
    timeout: durationInRange(100, 60_000).prefault('2s').describe('Time a probe may take (100ms–1m)'),
  })
  .strict();

export const sourcesSchema = z
  .object({
    health: healthProbeSchema.optional().describe('Health-check prober of the candidate'),
    prometheus: z.record(z.string(), z.unknown()).optional().describe('Prometheus query source (url, selector, versionLabel, queries, …), validated by the daemon when the rollout is created; every field is in docs/sources.md, "Prometheus source"'),
    accessLog: z.record(z.string(), z.unknown()).optional().describe('nginx access-log tail source (path, baselineAddresses, candidateAddresses, …), validated by the daemon when the rollout is created; every field is in docs/adapters/nginx.md, "Access-log source"'),
    envoyAccessLog: z.record(z.string(), z.unknown()).optional().describe('Envoy access-log source: entries of Envoy\'s gRPC access-log service on the daemon\'s --xds-listen, or its JSON file access log (path); baselineClusters, candidateClusters, …, validated by the daemon when the rollout is created; every field is in docs/adapters/envoy.md, "Access-log sources"'),
  })
  .strict()
  .default({});

/**
 * What the service's traffic is expected to be while the rollout runs. Optional: when it is given, the daemon runs the
 * pre-flight plan (`sluice plan`, analytic part) at creation and answers (and logs) what each stage can prove.
 */
export const expectedTrafficSchema = z
  .object({
    requestsPerSecond: z.number().positive().max(1_000_000).describe('Requests per second of the service, both versions together'),
    errorRatePercent: z.number().min(0).max(100).describe("The baseline's usual error rate, percent"),
    latencyMsMedian: z.number().positive().max(3_600_000).optional().describe('Median latency, ms (default 40)'),
    latencySigma: z.number().min(0).max(5).optional().describe('Standard deviation of the log of latency (default 0.6: p99 ≈ 4 × the median)'),
  })
  .strict()
  .describe('Expected traffic, for the pre-flight plan the daemon runs at creation (docs/plan.md)');

export const rolloutSpecSchema = z
  .object({
    apiVersion: z.literal('sluice/v1').default('sluice/v1'),
    id: identifier.describe('Rollout id, unique in the log'),
    service: printableText(128).describe('Service being rolled out (no control characters)'),
    baseline: printableText(128).describe('Version label of the stable version (no control characters)'),
    candidate: printableText(128).describe('Version label of the new version (no control characters)'),
    window: durationInRange(WINDOW_MS_FLOOR, WINDOW_MS_MAX)
      .prefault('5s')
      .describe('Sample window length (1s–1h; the daemon setting `windowMsMin` may lower the floor to 100ms for tests); each closed window is judged'),
    stages: z.array(stageSchema).min(1).max(50).optional().describe('Stages in order; default: canary 1% → ramp 10% → rollout 100%'),
    rollback: rollbackSchema,
    adapter: adapterRefSchema,
    notifications: notificationsSchema,
    sources: sourcesSchema,
    expectedTraffic: expectedTrafficSchema.optional(),
  })
  .strict();

export type RolloutSpecInput = z.input<typeof rolloutSpecSchema>;
export type GateConfig = z.output<typeof gateSchema>;
export type StageSpec = Omit<z.output<typeof stageSchema>, 'durationMax'> & { durationMax: number };
export type RollbackSpec = z.output<typeof rollbackSchema>;
export type AdapterRef = z.output<typeof adapterRefSchema>;
export type WebhookSpec = z.output<typeof webhookSchema>;
/** A validated spec with every default filled: stages always present, durations in milliseconds. */
export type RolloutSpec = Omit<z.output<typeof rolloutSpecSchema>, 'stages'> & { stages: StageSpec[] };
