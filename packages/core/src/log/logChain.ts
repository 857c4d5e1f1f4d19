import { createHash, createHmac, hash as sha256 } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SluiceError } from '../errors.js';

/**
 * The log-wide chain that sits beside each rollout's own chain (eventHash.ts). Every row carries a `link`:
 *
 *   link(seq) = F(link(seq − 1) ":" seq ":" hash(seq))      with link(0) = 64 zeros
 *
 * where `hash` is the row's per-rollout hash (which covers rollout, position, type, version, time and data), and F is
 * SHA-256 — or HMAC-SHA256 under the chain key from the row where the log became keyed. So the link covers the global
 * order: a row moved to another sequence number, a row deleted anywhere but at the very end, or a row inserted, breaks
 * every later link. The very end is covered by the heads (`chain_heads`: each rollout's last position, hash, sequence
 * and link, sealed by the key when there is one), which a deletion of last rows must also rewrite.
 *
 * Without a key anyone with write access can recompute SHA-256 chains: the unkeyed chain catches edits made without
 * recomputing (every "one statement" edit), and the head exposed on the API, /metrics and webhooks lets an outside
 * system notice a rewrite. With a key, rewriting any row or the end of the log needs the key.
 */
export const GENESIS_LINK = '0'.repeat(64);

/** A chain key: the secret and its public id (stored in the log, so a wrong key is named before anything is written). */
export interface ChainKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** Shortest key accepted: 32 bytes, as HMAC-SHA256 gains nothing from longer ones and loses strength with shorter. */
export const CHAIN_KEY_BYTES_MIN = 32;
/** A key file is a secret, not a document: anything larger is a wrong path. */
const CHAIN_KEY_FILE_BYTES_MAX = 4_096;

export function chainKeyFromSecret(secret: Buffer): ChainKey {
  if (secret.length < CHAIN_KEY_BYTES_MIN) {
    throw new SluiceError('SLUICE_E_CHAIN_KEY', `the chain key has ${secret.length} bytes; it needs at least ${CHAIN_KEY_BYTES_MIN} (e.g. \`head -c 32 /dev/urandom | base64 > key\`)`);
  }
  // The id is a hash of the key under a fixed label: it names the key without helping anyone find it.
  const id = createHash('sha256').update('sluice chain key id\0').update(secret).digest('hex').slice(0, 16);
  return { id, secret: Buffer.from(secret) };
}

/** Reads a key file (its trimmed text is the secret, so base64 or hex from any generator works as is). */
export function readChainKeyFile(file: string): ChainKey {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > CHAIN_KEY_FILE_BYTES_MAX) throw new Error(`${size} bytes is too large for a key file (at most ${CHAIN_KEY_FILE_BYTES_MAX})`);
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new SluiceError('SLUICE_E_CHAIN_KEY', `cannot read the chain key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return chainKeyFromSecret(Buffer.from(text, 'utf8'));
  } catch (error) {
    throw new SluiceError('SLUICE_E_CHAIN_KEY', `chain key file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The link of the row at `seq` whose per-rollout hash is `hash`; keyed when `key` is given. */
export function chainLink(prevLink: string, seq: number, hash: string, key: ChainKey | undefined): string {
  const text = `${prevLink}:${seq}:${hash}`;
  return key ? createHmac('sha256', key.secret).update(text).digest('hex') : sha256('sha256', text, 'hex');
}

/** What a head says: the rollout's last event and where it sits in the log-wide chain. */
export interface ChainHead {
  rolloutId: string;
  position: number;
  hash: string;
  seq: number;
  link: string;
}

/** The seal of a head: HMAC under the key, so that moving a head back (to hide deleted last events) needs the key. */
export function headSeal(head: ChainHead, key: ChainKey | undefined): string | null {
  if (!key) return null;
  return createHmac('sha256', key.secret).update(`head:${JSON.stringify(head.rolloutId)}:${head.position}:${head.hash}:${head.seq}:${head.link}`).digest('hex');
}

/** The seal of a checkpoint ("verified through seq with this link"), under the key when there is one. */
export function checkpointSeal(seq: number, link: string, key: ChainKey | undefined): string | null {
  if (!key) return null;
  return createHmac('sha256', key.secret).update(`checkpoint:${seq}:${link}`).digest('hex');
}
