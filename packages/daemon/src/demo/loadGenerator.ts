import { Pool } from 'undici';

export interface LoadGeneratorOptions {
  url: string;
  /** Requests per second; bounded to 5,000. */
  requestsPerSecond: number;
  /** Requests in flight at most; beyond it a tick's requests are skipped and counted. */
  inFlightMax?: number;
}

export interface LoadGenerator {
  readonly stats: { sent: number; ok: number; failed: number; skipped: number };
  stop(): Promise<void>;
}

export const LOAD_RPS_MAX = 5_000;
const TICK_MS = 20;

/** An open-loop load generator (undici Pool): a fixed request rate, bounded in-flight, until stopped. */
export function startLoadGenerator(options: LoadGeneratorOptions): LoadGenerator {
  const rps = Math.min(LOAD_RPS_MAX, Math.max(1, options.requestsPerSecond));
  const inFlightMax = options.inFlightMax ?? 256;
  const pool = new Pool(options.url, { connections: 32, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const stats = { sent: 0, ok: 0, failed: 0, skipped: 0 };
  let inFlight = 0;
  let carry = 0;
  const one = async (): Promise<void> => {
    inFlight++;
    stats.sent++;
    try {
      const response = await pool.request({ path: '/', method: 'GET' });
      await response.body.dump();
      if (response.statusCode < 500) stats.ok++;
      else stats.failed++;
    } catch {
      stats.failed++;
    } finally {
      inFlight--;
    }
  };
  const timer = setInterval(() => {
    carry += (rps * TICK_MS) / 1000;
    const due = Math.floor(carry);
    carry -= due;
    for (let i = 0; i < due; i++) {
      if (inFlight >= inFlightMax) stats.skipped++;
      else void one();
    }
  }, TICK_MS);
  return {
    stats,
    async stop() {
      clearInterval(timer);
      await pool.close().catch(() => undefined);
    },
  };
}
