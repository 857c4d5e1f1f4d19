import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the raw request body>`, keyed with the secret
 * from the webhook's `secretEnv`. Receivers compute the same HMAC over the bytes they received (before parsing the
 * JSON) and compare in constant time; `verifyWebhookSignature` does that for receivers written in TypeScript.
 */
export const SIGNATURE_HEADER = 'x-sluice-signature';
export const TIMESTAMP_HEADER = 'x-sluice-timestamp';
export const DELIVERY_HEADER = 'x-sluice-delivery';
export const EVENT_HEADER = 'x-sluice-event';
export const ATTEMPT_HEADER = 'x-sluice-attempt';

export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret`; constant-time in the signature's content. */
export function verifyWebhookSignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
