import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DaemonError } from '../errors.js';

/**
 * Bearer-token check. Both sides are hashed with SHA-256 first so that timingSafeEqual compares equal-length
 * buffers whatever the presented token's length, and neither the token's content nor its length leaks through timing.
 */
export class BearerAuth {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  /** Throws SLUICE_E_UNAUTHORIZED (401) unless the request carries `Authorization: Bearer <token>`. */
  check(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = digest(match?.[1] ?? '');
    // Always compare, even without a header, so the missing-header path takes the same time.
    const equal = timingSafeEqual(presented, this.#digest);
    if (!match || !equal) {
      throw new DaemonError(
        'SLUICE_E_UNAUTHORIZED',
        match ? 'bearer token does not match the daemon\'s token' : 'missing `Authorization: Bearer <token>` header — the token is in the daemon\'s --token-file',
      );
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
