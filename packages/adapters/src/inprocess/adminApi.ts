import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { WeightedRouter } from './weightedRouter.js';

/** Path of the weight admin endpoint served by the routing proxy. */
export const ADMIN_WEIGHT_PATH = '/_sluice/weight';
/** Largest admin request body accepted. */
export const ADMIN_BODY_BYTES_MAX = 4_096;

export const weightBodySchema = z
  .object({
    weightPercent: z.number().min(0).max(100),
    generation: z.int().min(0),
  })
  .strict();

/**
 * Serves `GET /_sluice/weight` (the state in force) and `PUT /_sluice/weight` (set it; answers with the state now in
 * force, which the `inprocess` adapter compares with what it asked for). With a token, PUT needs
 * `Authorization: Bearer <token>`; GET stays open on the loopback the proxy binds to.
 */
export function handleAdmin(router: WeightedRouter, request: IncomingMessage, response: ServerResponse, token: string | undefined): void {
  if (request.method === 'GET') return sendJson(response, 200, router.current());
  if (request.method !== 'PUT') {
    response.setHeader('allow', 'GET, PUT');
    return sendJson(response, 405, { error: `method ${request.method} not allowed on ${ADMIN_WEIGHT_PATH}; use GET or PUT` });
  }
  if (token !== undefined && !isBearer(request.headers.authorization, token)) {
    return sendJson(response, 401, { error: 'missing or wrong bearer token for PUT /_sluice/weight' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > ADMIN_BODY_BYTES_MAX) tooLarge = true;
    else chunks.push(chunk);
  });
  request.on('end', () => {
    if (tooLarge) return sendJson(response, 413, { error: `body larger than ${ADMIN_BODY_BYTES_MAX} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return sendJson(response, 400, { error: 'body is not JSON; send {"weightPercent": 12.5, "generation": 3}' });
    }
    const parsed = weightBodySchema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return sendJson(response, 400, { error: `invalid weight body: ${problems}` });
    }
    sendJson(response, 200, router.setWeight(parsed.data));
  });
  request.on('error', () => response.destroy());
}

function isBearer(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const actual = Buffer.from(header ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}
