import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.js';
import { createApiServer, SERVER_TIMEOUTS, type ServerTimeouts } from './apiServer.js';
import { BearerAuth } from './auth.js';
import { readBody } from './body.js';

/** The server's own settings bound every wait below; none of these tests sleeps to let something happen. */
const WAIT_MS_MAX = 5_000;
const TOKEN = 'token-0123456789abcdef';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function start(timeouts: ServerTimeouts = SERVER_TIMEOUTS): { port: () => number; logs: Record<string, unknown>[]; uploads: () => number } {
  const logs: Record<string, unknown>[] = [];
  let uploads = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  server = createApiServer({
    routes: [
      { method: 'GET', pattern: '/healthz', mutating: false, handler: () => ({ status: 200, body: { ok: true } }) },
      {
        method: 'POST',
        pattern: '/v1/upload',
        mutating: true,
        handler: async ({ req }) => {
          uploads++;
          return { status: 200, body: { bytes: (await readBody(req, 1024 * 1024 * 1024)).length } };
        },
      },
    ],
    auth: new BearerAuth(TOKEN),
    openReads: false,
    isReady: () => true,
    logger: pino({ level: 'debug' }, sink),
    timeouts,
  });
  server.listen(0, '127.0.0.1');
  return { port: () => (server!.address() as AddressInfo).port, logs, uploads: () => uploads };
}

/** A raw connection: what the server answered, and a promise settled when the server closes it. */
async function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined); // a reset after the answer is expected here
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => received, closed };
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${WAIT_MS_MAX} ms`)), WAIT_MS_MAX)));
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the API server on a real socket', () => {
  it('answers an unauthenticated 50 MB upload with 401 and closes the connection without reading the body', async () => {
    const { port } = start();
    await new Promise((resolve) => server!.once('listening', resolve));
    const { socket, received, closed } = await rawConnection(port());
    const declared = 50 * 1024 * 1024;
    socket.write(`POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    // Bounded: at most the declared body, in chunks, each waiting for the socket to take it.
    while (open && sent < declared) {
      const flushed = socket.write(chunk);
      sent += chunk.length;
      if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
    }
    await within(closed, 'the server closing the connection');
    expect(received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(received().toLowerCase()).toContain('connection: close');
    // Before: the server read all 50 MB to keep the connection alive. Now it stops after the kernel's buffers.
    expect(sent).toBeLessThan(declared / 4);
  });

  it('closes a connection whose headers take longer than headersTimeout, at the next check, not 30 s later', async () => {
    const { port } = start({ headersMs: 200, requestMs: 400, checkIntervalMs: 20, keepAliveMs: 1_000 });
    await new Promise((resolve) => server!.once('listening', resolve));
    const { socket, received, closed } = await rawConnection(port());
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await within(closed, 'closing a connection stalled in its headers');
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose body takes longer than requestTimeout', async () => {
    const { port } = start({ headersMs: 200, requestMs: 400, checkIntervalMs: 20, keepAliveMs: 1_000 });
    await new Promise((resolve) => server!.once('listening', resolve));
    const { socket, closed } = await rawConnection(port());
    socket.write(`POST /v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n0123456789`);
    await within(closed, 'closing a connection stalled in its body');
  });

  it('logs a client that hangs up mid-body at debug, not as an error', async () => {
    const { port, logs, uploads } = start();
    await new Promise((resolve) => server!.once('listening', resolve));
    const { socket } = await rawConnection(port());
    socket.write(`POST /v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100000\r\n\r\n0123456789`);
    await eventually('the server reading the body', () => (uploads() > 0 ? true : undefined), WAIT_MS_MAX);
    socket.destroy();
    const line = await eventually('the disconnect logged', () => logs.find((l) => l.msg === 'client disconnected before the answer'), WAIT_MS_MAX);
    expect(line).toMatchObject({ level: 20, path: '/v1/upload' });
    expect(logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('answers a request target that is not a path (//) with 404 instead of leaving it unanswered', async () => {
    const { port } = start();
    await new Promise((resolve) => server!.once('listening', resolve));
    for (const target of ['//', '//x/y', 'http://[', '*']) {
      const { socket, received, closed } = await rawConnection(port());
      socket.write(`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n1\u0005`);
      await within(closed, `the answer to ${target}`);
      expect(received()).toMatch(/^HTTP\/1\.1 (404|400) /);
    }
  });
});
