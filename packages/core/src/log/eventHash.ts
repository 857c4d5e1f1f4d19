import { hash } from 'node:crypto';

/** The previous hash of a rollout's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a hash covers. `dataJson` is the canonical JSON of the event's data (canonicalJson.ts). */
export interface HashedContent {
  rolloutId: string;
  position: number;
  type: string;
  version: number;
  at: number;
  dataJson: string;
}

/**
 * Hex SHA-256 over the previous hash followed by the canonical JSON (sorted keys) of
 * `{ rolloutId, position, type, version, at, data }`. The envelope is assembled by hand in sorted key order
 * (at, data, position, rolloutId, type, version) so the data is not serialised twice; eventHash.test.ts checks it
 * equals canonicalJson of the whole object.
 */
export function eventHash(prevHash: string, content: HashedContent): string {
  // One-shot crypto.hash (Node ≥ 20.12) over one string: no Hash object per event, which halves the cost per append.
  return hash('sha256', prevHash + hashedEnvelope(content), 'hex');
}

export function hashedEnvelope(content: HashedContent): string {
  return (
    `{"at":${content.at},"data":${content.dataJson},"position":${content.position},` +
    `"rolloutId":${JSON.stringify(content.rolloutId)},"type":${JSON.stringify(content.type)},"version":${content.version}}`
  );
}
