/**
 * Run in a fresh process by memory.bench.ts, so the measurement is not skewed by other benchmarks' heaps:
 *   node --expose-gc --import tsx --conditions=sluice-source memoryProbe.ts ROLLOUTS WINDOWS BASELINE CANARY DBFILE
 * Opens ROLLOUTS rollouts in one SampleRecorder (and writes each one's first event to an EventLog, as the daemon
 * does), fills WINDOWS open windows per rollout with BASELINE and CANARY samples each, and prints the resident memory.
 */
import { EventLog, SampleRecorder } from '@sluice/core';
import { latencyMs, seededRandom, WINDOW_MS } from './logFixtures.js';

const [rollouts, windows, baselineSamples, canarySamples] = process.argv.slice(2, 6).map(Number) as [number, number, number, number];
const dbFile = process.argv[6]!;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function residentBytes(): number {
  gc!();
  gc!();
  return process.memoryUsage().rss;
}

const log = EventLog.open(dbFile);
const recorder = new SampleRecorder();
const before = residentBytes();

const random = seededRandom(3);
// A table of latencies cycled through: generating 10 million log-normal values would dominate the run.
const latenciesMs = Array.from({ length: 4_096 }, () => latencyMs(random, 40));
let next = 0;
const nextLatencyMs = () => latenciesMs[next++ & 4_095]!;
const start = 1_700_000_000_000;
log.transaction(() => {
  for (let r = 0; r < rollouts; r++) log.append(`rollout-${r}`, 0, [{ type: 'health.checked', at: start, data: { ok: true } }]);
});
for (let r = 0; r < rollouts; r++) {
  const rolloutId = `rollout-${r}`;
  recorder.open(rolloutId, WINDOW_MS);
  for (let w = 0; w < windows; w++) {
    const at = start + w * WINDOW_MS;
    for (let i = 0; i < baselineSamples; i++) recorder.record(rolloutId, { variant: 'baseline', at, ok: true, latencyMs: nextLatencyMs() });
    for (let i = 0; i < canarySamples; i++) recorder.record(rolloutId, { variant: 'canary', at, ok: true, latencyMs: nextLatencyMs() * 1.05 });
  }
}
const after = residentBytes();
if (recorder.openWindowCount() !== rollouts * windows) throw new Error(`expected ${rollouts * windows} open windows, got ${recorder.openWindowCount()}`);
process.stdout.write(`${JSON.stringify({ rssBytes: after, rssBeforeBytes: before, heapUsedBytes: process.memoryUsage().heapUsed })}\n`);
log.close();
