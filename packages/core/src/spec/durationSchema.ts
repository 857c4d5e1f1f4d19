import { z } from 'zod';
import { parseDurationMs } from '../duration.js';

/** A duration in a spec: milliseconds, or a string such as "90s", "2h", "1h30m". Parsed to integer milliseconds. */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string().regex(/^\s*(\d+|(\d+(\.\d+)?(ms|s|m|h|d))+)\s*$/, 'a duration like "90s", "15m", "2h", "1h30m" or milliseconds')])
  .transform((value) => parseDurationMs(value))
  .describe('Duration: milliseconds, or a string like "90s", "15m", "2h", "1h30m"');
