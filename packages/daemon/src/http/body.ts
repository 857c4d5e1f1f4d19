import type { IncomingMessage } from 'node:http';
import { JSON_DEPTH_MAX, jsonDepthProblem } from '@sluice/core';
import { DaemonError } from '../errors.js';

/**
 * Reads a request body into one Buffer, refusing more than `bytesMax` (413) — checked against Content-Length first,
 * then while streaming, so a client cannot make the daemon buffer an unbounded body.
 */
export async function readBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > bytesMax) throw tooLarge(bytesMax);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > bytesMax) {
      // Stop reading; the response is sent with `Connection: close` so the rest of the body is discarded.
      req.pause();
      throw tooLarge(bytesMax);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/**
 * Reads and parses a JSON body; an empty body is `{}`. Its nesting is checked before JSON.parse (JSON_DEPTH_MAX): the
 * parse itself is iterative, but what reads and prints the value after it recurses.
 */
export async function readJsonBody(req: IncomingMessage, bytesMax: number): Promise<unknown> {
  const body = await readBody(req, bytesMax);
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  const tooDeep = jsonDepthProblem(text, JSON_DEPTH_MAX);
  if (tooDeep) throw new DaemonError('SLUICE_E_BODY_INVALID', `request body is ${tooDeep}; the API's bodies are flat objects`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DaemonError('SLUICE_E_BODY_INVALID', `request body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function tooLarge(bytesMax: number): DaemonError {
  return new DaemonError('SLUICE_E_BODY_TOO_LARGE', `request body exceeds ${bytesMax} bytes — split the batch into smaller requests`, {
    details: { bytesMax },
  });
}
