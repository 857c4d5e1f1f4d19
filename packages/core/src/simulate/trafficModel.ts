import { z } from 'zod';
import { SpecValidationError } from '../errors.js';
import { issuesFromZod } from '../spec/validationIssues.js';

/**
 * The traffic model of `sluice simulate` — a contract other tools produce (docs/simulate.md). Rates are fractions
 * (0.01 = 1%), times are ms from the start of the simulation.
 */
const lognormalSchema = z
  .object({
    median: z.number().positive().max(3_600_000).describe('Median latency, ms'),
    sigma: z.number().min(0).max(5).describe('Standard deviation of the log of latency'),
  })
  .strict();

const latencySchema = z.union([
  z.object({ lognormal: lognormalSchema }).strict(),
  z
    .object({
      mixture: z
        .array(
          z
            .object({
              weight: z.number().positive().max(1_000_000).describe('Relative weight of the component (normalised to sum to 1)'),
              lognormal: lognormalSchema,
            })
            .strict(),
        )
        .min(1)
        .max(8)
        .describe('A mixture of lognormals: e.g. cache hits and misses (bimodal), or a small wide component (heavy tail)'),
    })
    .strict(),
]);

const armSchema = z
  .object({
    errorRate: z.number().min(0).max(1).describe('Fraction of requests that fail'),
    latencyMs: latencySchema,
  })
  .strict();

const changeSchema = z
  .object({
    atMs: z.number().int().min(0).describe('From this time on (ms from the start)'),
    arm: z.enum(['canary', 'baseline', 'both']),
    errorRate: z.number().min(0).max(1).optional().describe("Sets the arm's error rate"),
    latencyMultiplier: z.number().positive().max(1_000).optional().describe("Multiplies the arm's base latency (not cumulative)"),
  })
  .strict()
  .refine((c) => c.errorRate !== undefined || c.latencyMultiplier !== undefined, { message: 'a change needs `errorRate`, `latencyMultiplier` or both' });

export const trafficModelSchema = z
  .object({
    seed: z.number().int().min(0).max(4_294_967_295).describe('Seed of the generator: same seed, same output'),
    durationMs: z.number().int().positive().max(30 * 86_400_000).describe('Simulated time after which the run stops'),
    requestsPerSecond: z.number().positive().max(1_000_000).describe('Mean request rate of the service (both arms)'),
    baseline: armSchema,
    canary: armSchema,
    changes: z.array(changeSchema).max(10_000).default([]),
    diurnal: z
      .object({
        amplitude: z.number().min(0).max(1).describe('Rate swings between (1 − amplitude) and (1 + amplitude) × the mean'),
        periodMs: z.number().int().positive().describe('Period of the swing, ms'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TrafficModel = z.output<typeof trafficModelSchema>;
export type TrafficModelInput = z.input<typeof trafficModelSchema>;
export type TrafficChange = TrafficModel['changes'][number];

/** Validates a traffic model; throws SpecValidationError (code SLUICE_E_TRAFFIC_MODEL_INVALID) naming every bad field. */
export function parseTrafficModel(input: unknown, source?: string): TrafficModel {
  const parsed = trafficModelSchema.safeParse(input);
  if (parsed.success) {
    const changes = [...parsed.data.changes].sort((a, b) => a.atMs - b.atMs);
    return { ...parsed.data, changes };
  }
  const issues = issuesFromZod(parsed.error.issues, input);
  throw new SpecValidationError(issues, source ?? 'traffic model', 'SLUICE_E_TRAFFIC_MODEL_INVALID');
}
