import { Agent, request } from 'node:http';

export interface LoadOptions {
  url: string;
  /** Requests started per second, spread evenly. */
  ratePerSecond: number;
  /** Requests in flight at most; a slower target lowers the achieved rate instead of piling up sockets. */
  inFlightMax?: number;
  /** Per-request timeout; default 5 000 ms. */
  timeoutMs?: number;
}

export interface LoadStats {
  sent: number;
  completed: number;
  /** Responses with status ≥ 500, and transport failures. */
  failed: number;
  /** Requests not started because inFlightMax was reached. */
  skipped: number;
}

export interface LoadGenerator {
  readonly stats: Readonly<LoadStats>;
  stop(): Promise<LoadStats>;
}

/** Schedule resolution of the generator: every tick starts the requests that are due. */
const TICK_MS = 5;

/** An open-loop load generator: starts requests at a fixed rate whatever the latency, with keep-alive connections. */
export function startLoad(options: LoadOptions): LoadGenerator {
  const inFlightMax = options.inFlightMax ?? 256;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const agent = new Agent({ keepAlive: true, maxSockets: inFlightMax, maxFreeSockets: inFlightMax, timeout: timeoutMs });
  const target = new URL(options.url);
  const stats: LoadStats = { sent: 0, completed: 0, failed: 0, skipped: 0 };
  const startedAt = performance.now();
  let inFlight = 0;
  let due = 0;
  let idle: (() => void) | undefined;

  const fire = (): void => {
    inFlight++;
    stats.sent++;
    const done = (failed: boolean): void => {
      inFlight--;
      stats.completed++;
      if (failed) stats.failed++;
      if (inFlight === 0) idle?.();
    };
    const req = request({ agent, hostname: target.hostname, port: target.port, path: target.pathname, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => done((response.statusCode ?? 0) >= 500));
      response.on('error', () => done(true));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(true));
    req.end();
  };

  const timer = setInterval(() => {
    const shouldHaveStarted = Math.floor(((performance.now() - startedAt) * options.ratePerSecond) / 1000);
    for (; due < shouldHaveStarted; due++) {
      if (inFlight >= inFlightMax) stats.skipped++;
      else fire();
    }
  }, TICK_MS);

  return {
    stats,
    async stop(): Promise<LoadStats> {
      clearInterval(timer);
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      agent.destroy();
      return { ...stats };
    },
  };
}
