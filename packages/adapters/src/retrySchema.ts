import { z } from 'zod';
import { DEFAULT_RETRY_POLICY } from './retry.js';

/** The `retry` option every adapter accepts, with explicit limits. */
export const retryPolicySchema = z
  .object({
    attemptsMax: z.int().min(1).max(20).default(DEFAULT_RETRY_POLICY.attemptsMax).describe('Attempts in total, including the first'),
    delayMsInitial: z.int().min(0).max(60_000).default(DEFAULT_RETRY_POLICY.delayMsInitial).describe('Delay before the second attempt'),
    delayMsMax: z.int().min(0).max(300_000).default(DEFAULT_RETRY_POLICY.delayMsMax).describe('Largest delay between attempts'),
    multiplier: z.number().min(1).max(10).default(DEFAULT_RETRY_POLICY.multiplier).describe('Growth factor between delays'),
    jitterRatio: z.number().min(0).max(1).default(DEFAULT_RETRY_POLICY.jitterRatio).describe('Share of each delay that is random'),
  })
  .strict()
  .default(DEFAULT_RETRY_POLICY);
