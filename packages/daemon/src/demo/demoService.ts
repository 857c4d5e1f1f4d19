import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoServiceOptions {
  /** Version label returned in the body. */
  version: string;
  /** Share of requests answered 500, 0–1. */
  faultRate: number;
  /** Typical latency, ms (each request waits this ± 50%). */
  latencyMs: number;
  /** Added to every request's latency, ms. */
  extraLatencyMs: number;
  random?: () => number;
}

export interface DemoService {
  url: string;
  close(): Promise<void>;
}

/** A tiny HTTP service on 127.0.0.1 that answers after a latency, failing a share of requests: the demo's versions. */
export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  const random = options.random ?? Math.random;
  const server: Server = createServer((_request, response) => {
    const latencyMs = options.latencyMs * (0.5 + random()) + options.extraLatencyMs;
    setTimeout(() => {
      const failed = random() < options.faultRate;
      const body = JSON.stringify({ version: options.version, ok: !failed });
      response.writeHead(failed ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    }, latencyMs);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
