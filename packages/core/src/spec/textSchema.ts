import { z } from 'zod';

/**
 * Characters a name shown on a terminal may not hold: C0 and C1 controls (an ESC starts a terminal escape sequence
 * that can rewrite what `sluice status` prints), DEL, line and paragraph separators, and the bidirectional overrides
 * and isolates that reorder what is displayed.
 */
// eslint-disable-next-line no-control-regex
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A name or label of at most `charsMax` characters with no control characters (see UNPRINTABLE). */
export function printableText(charsMax: number) {
  return z
    .string()
    .min(1)
    .max(charsMax)
    .refine((text) => !UNPRINTABLE.test(text), 'must not contain control characters (newlines, tabs, escape sequences) or bidirectional overrides');
}

/** A URL that Sluice itself calls (webhooks, approval webhooks, health probes): http or https only, ≤ 2,048 characters. */
export function httpUrl() {
  return z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL (file:, data: and other schemes are refused: Sluice sends requests to it)' })
    .max(2_048);
}
