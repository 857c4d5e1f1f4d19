/**
 * FNV-1a 32-bit hash of a string's UTF-16 code units, mapped to a bucket in [0, 10000) — one bucket per 0.01% of
 * traffic. A key lands in the canary when its bucket is below weight × 100, so raising the weight only adds keys to
 * the canary (the same monotonic property as nginx's split_clients with the canary listed first).
 */
export const BUCKETS = 10_000;

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function stickyBucket(key: string, salt = ''): number {
  return fnv1a32(salt + key) % BUCKETS;
}
