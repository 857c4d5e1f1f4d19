import { z } from 'zod';
import { formatDurationMs, parseDurationMs } from '../duration.js';

/** The longest duration any spec field takes: a stage's durationMax (its default is up to twice durationMin's 30 d). */
export const DURATION_MS_MAX = 60 * 86_400_000;
/**
 * `window` bounds. Each closed window is judged and logged, and the daemon wakes at every window end, so a window of
 * 0 divided by zero (the rollout could not be registered, and the log could no longer be started) and one of 1 ms
 * burned a core. 1 s is the shortest window accepted by default; the daemon's `windowMsMin` setting may lower that to
 * WINDOW_MS_FLOOR for tests and demos. An hour is the longest: a stage then sees a verdict once an hour.
 */
export const WINDOW_MS_FLOOR = 100;
export const WINDOW_MS_MIN = 1_000;
export const WINDOW_MS_MAX = 3_600_000;

const DURATION_TEXT = /^\s*(\d+|(\d+(\.\d+)?(ms|s|m|h|d))+)\s*$/;

/**
 * A duration in a spec: milliseconds, or a string such as "90s", "2h", "1h30m", parsed to integer milliseconds and
 * refused (with the field's path) outside [minMs, maxMs]. Every duration field states its range this way, so a spec
 * the daemon accepts never holds a duration that its timers or arithmetic cannot take.
 */
export function durationInRange(minMs: number, maxMs: number) {
  const range = `between ${formatDurationMs(minMs)} and ${formatDurationMs(maxMs)}`;
  return z
    .union([
      z.number().min(minMs, `must be ${range} (${minMs}–${maxMs} ms)`).max(maxMs, `must be ${range} (${minMs}–${maxMs} ms)`),
      z.string().max(64, 'a duration is at most 64 characters').regex(DURATION_TEXT, 'a duration like "90s", "15m", "2h", "1h30m" or milliseconds'),
    ])
    .transform((value, context) => {
      const ms = parseDurationMs(value);
      if (ms < minMs || ms > maxMs) {
        context.issues.push({ code: 'custom', message: `must be ${range} (is ${formatDurationMs(ms)})`, input: value });
        return z.NEVER;
      }
      return ms;
    })
    .describe(`Duration ${range}: milliseconds, or a string like "90s", "15m", "2h", "1h30m"`);
}

/** A duration of 0 to DURATION_MS_MAX. */
export const durationSchema = durationInRange(0, DURATION_MS_MAX);
