import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLatencyHistogram, recordLatencyMs } from '@sluice/core';
import { Pool } from 'undici';
import { ensureBuilt, spawnSluiceDaemon, type SluiceDaemon } from './sluiceProcess.js';
import { defineSuite } from '../lib/benchmark.js';
import { processCpuSeconds } from './processStats.js';

/**
 * Durable HTTP ingest: NDJSON batches POSTed over loopback to a real `sluice daemon` process, each answered only once
 * its samples are fsynced in the ingest journal (group commit). Reported: samples/s acknowledged, with the p50/p99 time
 * from sending a batch to its acknowledgement, against a bare loop that JSON-parses the same lines and records their
 * latency in an HdrHistogram (no HTTP, no validation, no disk) — what ingest would cost if durability and the network
 * were free.
 */
const TOKEN = 'bench-token-0123456789abcdef01234';
const BATCH_LINES = 5_000;
const BATCHES_PER_RUN = 60;
const IN_FLIGHT = 8;
const TARGET_SAMPLES_PER_S = 250_000;

let dir = '';
let daemon: SluiceDaemon | undefined;
let pool: Pool | undefined;
let payload = '';

function makePayload(): string {
  const lines: string[] = [];
  for (let i = 0; i < BATCH_LINES; i++) {
    lines.push(JSON.stringify({ variant: i % 10 === 0 ? 'canary' : 'baseline', ok: i % 97 !== 0, latencyMs: Math.round((5 + ((i * 7919) % 400) / 10) * 1000) / 1000 }));
  }
  return lines.join('\n');
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export default defineSuite({
  name: 'daemon: durable HTTP ingest',
  async setup() {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'sluice-bench-ingest-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    daemon = await spawnSluiceDaemon(['--db', join(dir, 'ingest.db'), '--token-file', tokenFile, '--log-level', 'warn']);
    pool = new Pool(daemon.url, { connections: IN_FLIGHT, pipelining: 1 });
    const spec = { id: 'ingest', service: 'bench', baseline: 'v1', candidate: 'v2', window: 1_000, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [] }] };
    const created = await pool.request({ path: '/v1/rollouts', method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(spec) });
    if (created.statusCode !== 201) throw new Error(`create failed: ${created.statusCode} ${await created.body.text()}`);
    payload = makePayload();
  },
  async teardown() {
    await pool?.close();
    await daemon?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  },
  cases: [
    {
      name: 'POST /samples (NDJSON, durable ack)',
      unit: 'samples/s',
      runs: 5,
      target: { valueMin: TARGET_SAMPLES_PER_S },
      note: `Wall clock, whatever --clock says (acknowledgement includes fsync). ${BATCHES_PER_RUN} batches of ${BATCH_LINES.toLocaleString('en-US')} samples (~${Math.round(BATCH_LINES * 70 / 1024)} KiB each), ${IN_FLIGHT} in flight on keep-alive connections, to a separate daemon process; acknowledged = fsynced (synchronous=FULL).`,
      async measure() {
        const latenciesMs: number[] = [];
        let next = 0;
        let accepted = 0;
        const pid = daemon!.child.pid!;
        const cpuBefore = processCpuSeconds(pid);
        const started = process.hrtime.bigint();
        const worker = async (): Promise<void> => {
          while (next < BATCHES_PER_RUN) {
            next++;
            const sent = performance.now();
            const response = await pool!.request({ path: '/v1/rollouts/ingest/samples', method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' }, body: payload });
            const body = (await response.body.json()) as { accepted: number };
            latenciesMs.push(performance.now() - sent);
            if (response.statusCode !== 200) throw new Error(`ingest answered ${response.statusCode}`);
            accepted += body.accepted;
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const cpuUsPerSample = ((processCpuSeconds(pid) - cpuBefore) * 1e6) / (BATCHES_PER_RUN * BATCH_LINES);
        if (accepted !== BATCHES_PER_RUN * BATCH_LINES) throw new Error(`accepted ${accepted}`);
        latenciesMs.sort((a, b) => a - b);
        const rate = accepted / seconds;
        return {
          value: rate,
          detail: `ack latency per ${BATCH_LINES.toLocaleString('en-US')}-sample batch: p50 ${quantile(latenciesMs, 0.5).toFixed(1)} ms, p99 ${quantile(latenciesMs, 0.99).toFixed(1)} ms (${IN_FLIGHT} in flight); daemon CPU ${cpuUsPerSample.toFixed(2)} µs per sample (${Math.round(1e6 / cpuUsPerSample).toLocaleString('en-US')} samples/s per core).`,
        };
      },
      reference: {
        name: 'bare JSON.parse + HdrHistogram record of the same lines',
        measure() {
          const lines = payload.split('\n');
          const histogram = createLatencyHistogram();
          const repeats = 20;
          // Wall clock, like the case (whatever --clock says): the ratio compares like with like.
          const started = process.hrtime.bigint();
          for (let r = 0; r < repeats; r++) {
            for (const line of lines) {
              const sample = JSON.parse(line) as { latencyMs: number };
              recordLatencyMs(histogram, sample.latencyMs);
            }
          }
          return (lines.length * repeats) / (Number(process.hrtime.bigint() - started) / 1e9);
        },
      },
    },
  ],
});
