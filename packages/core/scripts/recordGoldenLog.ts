/**
 * Records the golden log of today's log format, src/replay/goldenLogV2.ndjson.gz (docs/log.md, "Golden logs"):
 * rollouts covering every phase, gate kind, command, rollback mode and input type, written by the code as it is today,
 * stored row by row as written (type, version, time, data). goldenLogV2.int.test.ts loads the rows as written and
 * requires replay to reproduce every recorded decision: a change that alters a verdict, an evidence number or a
 * summary, or which verdicts the log holds, fails it.
 *
 *   npx -y pnpm@10.34.8 --filter @sluice/core run record:golden-log
 *
 * Re-record only for an intended change of decisions, in its own commit that says what changed and why. The first
 * golden log (goldenLog.ndjson.gz, every type at version 1) is frozen and never re-recorded. When a type's version
 * changes again, this script refuses to overwrite the V2 file: record a new file for the new format instead, so that
 * logs of this format keep being replayed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EVENT_VERSIONS, EventLog, parseTrafficModel, RolloutSession, runSimulation, sessionDriver, validateSpec, type NewInputEvent } from '../src/index.js';

const OUTPUT = new URL('../src/replay/goldenLogV2.ndjson.gz', import.meta.url);
/** The versions of the format this file records; any other version of any type is a new format. */
const V2_VERSIONS: Record<string, number> = { 'rollout.created': 2, 'samples.window': 2 };
const otherFormat = Object.entries(EVENT_VERSIONS).filter(([type, version]) => version !== (V2_VERSIONS[type] ?? 1));
if (otherFormat.length > 0) {
  throw new Error(
    `this build writes ${otherFormat.map(([type, version]) => `${type} version ${version}`).join(', ')}: a new log format. ` +
      'Keep goldenLogV2.ndjson.gz as it is (logs of its format must keep replaying) and record the new format to a new file.',
  );
}
const T0 = Date.UTC(2026, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'sluice-golden-'));
const log = EventLog.open(join(dir, 'golden.db'));

const lognormal = (median: number) => ({ lognormal: { median, sigma: 0.6 } });
const arm = (errorRate: number, median = 40) => ({ errorRate, latencyMs: lognormal(median) });
const every = [
  { kind: 'errorRate', maxPercent: 5, samplesMin: 50 },
  { kind: 'latency', quantile: 0.99, maxMs: 400, samplesMin: 50 },
  { kind: 'compareErrorRate' },
  { kind: 'compareLatency' },
  { kind: 'sampleRatio' },
];

/** Simulated rollouts: windows of 10 s at 40 req/s keep the file small while every gate has enough to judge. */
const simulations: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['default-catastrophe', {}, { durationMs: 600_000, requestsPerSecond: 400, baseline: arm(0.001), canary: arm(0.5, 900) }],
  [
    'custom-errors-gradual',
    {
      stages: [
        { name: 'c5', weightPercent: 5, durationMin: '4m', samplesMin: 50, gates: every },
        { name: 'c25', weightPercent: 25, durationMin: '4m', durationMax: '8m', gates: every },
        { name: 'all', weightPercent: 100, durationMin: '2m', gates: every, onFail: 'hold' },
      ],
      rollback: { mode: 'gradual', stepsPercent: [10, 2], stepDuration: '30s' },
    },
    { durationMs: 1_800_000, requestsPerSecond: 40, baseline: arm(0.005), canary: arm(0.005), changes: [{ atMs: 300_000, arm: 'canary', errorRate: 0.08 }] },
  ],
  [
    'latency-step',
    { stages: [{ name: 'canary', weightPercent: 20, durationMin: '15m', gates: every }, { name: 'all', weightPercent: 100, durationMin: '2m', gates: every }] },
    { durationMs: 1_200_000, requestsPerSecond: 40, baseline: arm(0.001), canary: arm(0.001), changes: [{ atMs: 300_000, arm: 'canary', latencyMultiplier: 2 }] },
  ],
  [
    'healthy-completes',
    {
      stages: [
        // compareLatency left out: at p99 with tolerance 0.2 an identical canary needs far more than 20 min to show
        // it is not worse (1% of requests are slow), and this rollout is here to complete.
        { name: 'canary', weightPercent: 20, durationMin: '3m', durationMax: '20m', gates: [...every.slice(0, 3), every[4]!] },
        { name: 'all', weightPercent: 100, durationMin: '2m', gates: every.slice(0, 2) },
      ],
    },
    { durationMs: 1_800_000, requestsPerSecond: 60, baseline: arm(0.02), canary: arm(0.02) },
  ],
  [
    'flagger',
    { stages: [{ name: 'canary', weightPercent: 20, durationMin: '6m', gates: [{ kind: 'flagger' }] }, { name: 'all', weightPercent: 100, durationMin: '3m', gates: [{ kind: 'flagger' }] }] },
    { durationMs: 900_000, requestsPerSecond: 40, baseline: arm(0.005), canary: arm(0.005), changes: [{ atMs: 420_000, arm: 'canary', errorRate: 0.2 }] },
  ],
  [
    'argo',
    { stages: [{ name: 'canary', weightPercent: 20, durationMin: '6m', gates: [{ kind: 'argo' }] }, { name: 'all', weightPercent: 100, durationMin: '3m', gates: [{ kind: 'argo' }] }] },
    { durationMs: 900_000, requestsPerSecond: 40, baseline: arm(0.005, 100), canary: arm(0.005, 100), changes: [{ atMs: 240_000, arm: 'canary', latencyMultiplier: 8 }] },
  ],
];
let seed = 11;
for (const [id, specExtra, model] of simulations) {
  const spec = validateSpec({ id, service: 'svc', baseline: 'v1', candidate: 'v2', window: 10_000, ...specExtra });
  const result = log.transaction(() => runSimulation(spec, parseTrafficModel({ seed: seed++, ...model }), { driver: (s, at) => sessionDriver(log, s, at) }));
  console.log(`${id}: ${result.outcome}`);
}

/** Operator commands, health probes, custom metrics, apply failures and rejected commands, fed by hand. */
const spec = validateSpec({
  id: 'operated',
  service: 'svc',
  baseline: 'v1',
  candidate: 'v2',
  window: 10_000,
  stages: [
    { name: 'canary', weightPercent: 5, durationMin: '1m', samplesMin: 0, gates: [{ kind: 'health', failuresMax: 2 }, { kind: 'metric', metric: 'queue_depth', max: 100 }], approval: { manual: true } },
    { name: 'ramp', weightPercent: 30, durationMin: '5m', samplesMin: 0, gates: [{ kind: 'health' }] },
    { name: 'all', weightPercent: 100, durationMin: '1m', samplesMin: 0, gates: [] },
  ],
});
const session = RolloutSession.create(log, spec, T0);
const s = (seconds: number) => T0 + seconds * 1_000;
const command = (at: number, name: string, reason?: string): NewInputEvent =>
  ({ type: 'command.issued', at, data: { command: name, actor: 'alice', ...(reason ? { reason } : {}) } }) as NewInputEvent;
const inputs: NewInputEvent[] = [
  {
    type: 'rollout.planned',
    at: s(0),
    data: {
      traffic: { requestsPerSecond: 50, errorRate: 0.001, source: 'flags' },
      stages: [{ stage: 'canary', canaryRequestsExpected: 150, smallestDetectable: {} }],
      warnings: ['stage canary: no comparative gate, the breakers alone judge it'],
      method: 'analytic',
    },
  },
  { type: 'weight.applyFailed', at: s(1), data: { generation: 1, weightPercent: 5, error: 'upstream timed out', code: 'SLUICE_E_ADAPTER_TIMEOUT' } },
  { type: 'weight.applied', at: s(2), data: { generation: 1, weightPercent: 5 } },
  { type: 'health.checked', at: s(10), data: { ok: true, target: 'http://candidate/healthz', detail: '200' } },
  { type: 'metric.observed', at: s(20), data: { name: 'queue_depth', variant: 'canary', value: 40 } },
  command(s(25), 'resume'),
  command(s(30), 'pause', 'looking at a dashboard'),
  { type: 'health.checked', at: s(40), data: { ok: false, target: 'http://candidate/healthz', detail: '503' } },
  command(s(50), 'resume'),
  { type: 'health.checked', at: s(70), data: { ok: true, target: 'http://candidate/healthz', detail: '200' } },
  { type: 'metric.observed', at: s(75), data: { name: 'queue_depth', variant: 'canary', value: 60 } },
  { type: 'tick', at: s(90), data: {} },
  command(s(100), 'approve'),
  { type: 'weight.applied', at: s(101), data: { generation: 2, weightPercent: 30 } },
  { type: 'health.checked', at: s(130), data: { ok: true, target: 'http://candidate/healthz', detail: '200' } },
  command(s(140), 'promote'),
  { type: 'weight.applied', at: s(141), data: { generation: 3, weightPercent: 100 } },
  command(s(150), 'rollback', 'bad feeling'),
  command(s(151), 'pause'),
  { type: 'weight.applied', at: s(152), data: { generation: 4, weightPercent: 0 } },
  command(s(160), 'abort'),
];
for (const input of inputs) log.transaction(() => session.ingest(input));
console.log(`operated: ${session.view.phase}`);

/** An abort while paused, and a promoteFull straight to completion. */
const short = (id: string, inputs: (s: (seconds: number) => number) => NewInputEvent[], stage: Record<string, unknown> = {}) => {
  const shortSpec = validateSpec({
    id,
    service: 'svc',
    baseline: 'v1',
    candidate: 'v2',
    window: 10_000,
    stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [{ kind: 'health' }], ...stage }],
  });
  const shortSession = RolloutSession.create(log, shortSpec, T0);
  for (const input of inputs(s)) log.transaction(() => shortSession.ingest(input));
  console.log(`${id}: ${shortSession.view.phase}`);
};
short('aborted-while-paused', (t) => [
  { type: 'weight.applied', at: t(1), data: { generation: 1, weightPercent: 10 } },
  command(t(5), 'pause'),
  command(t(6), 'promote'),
  command(t(7), 'abort', 'wrong build'),
  { type: 'weight.applied', at: t(8), data: { generation: 2, weightPercent: 0 } },
]);
short('promoted-full', (t) => [
  { type: 'weight.applied', at: t(1), data: { generation: 1, weightPercent: 10 } },
  command(t(5), 'promoteFull'),
  { type: 'weight.applied', at: t(6), data: { generation: 2, weightPercent: 100 } },
]);

/** A failed health gate in a stage that holds, and a stage extended once at its maximum duration, then rolled back. */
short(
  'held',
  (t) => [
    { type: 'weight.applied', at: t(1), data: { generation: 1, weightPercent: 10 } },
    { type: 'health.checked', at: t(10), data: { ok: false, detail: '503' } },
    { type: 'health.checked', at: t(20), data: { ok: false, detail: '503' } },
    command(t(30), 'rollback', 'held too long'),
    { type: 'weight.applied', at: t(31), data: { generation: 2, weightPercent: 0 } },
  ],
  { gates: [{ kind: 'health', failuresMax: 2 }], onFail: 'hold' },
);
short(
  'extended',
  (t) => [
    { type: 'weight.applied', at: t(1), data: { generation: 1, weightPercent: 10 } },
    { type: 'tick', at: t(130), data: {} },
    { type: 'tick', at: t(200), data: {} },
    { type: 'weight.applied', at: t(201), data: { generation: 2, weightPercent: 0 } },
  ],
  { durationMin: '1m', durationMax: '2m', onMaxDuration: { action: 'extend', extendBy: '1m', extensionsMax: 1 } },
);
/** A stage held at its maximum duration (no evidence yet, onMaxDuration hold), whose gate then passes: it goes on. */
short(
  'held-at-max-duration',
  (t) => [
    { type: 'weight.applied', at: t(1), data: { generation: 1, weightPercent: 10 } },
    { type: 'tick', at: t(130), data: {} },
    { type: 'health.checked', at: t(140), data: { ok: true, detail: '200' } },
    { type: 'weight.applied', at: t(141), data: { generation: 2, weightPercent: 100 } },
  ],
  { durationMin: '1m', durationMax: '2m', samplesMin: 0, onMaxDuration: { action: 'hold' } },
);

const lines: string[] = [];
// The rows as stored (data as written, not as a reader upgrades it).
for (const row of log.rows()) {
  lines.push(JSON.stringify({ rolloutId: row.rollout_id, position: row.position, type: row.type, version: row.version, at: row.at, data: JSON.parse(row.data) as unknown }));
}
log.close();
rmSync(dir, { recursive: true, force: true });
writeFileSync(OUTPUT, gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${lines.length} events → ${OUTPUT.pathname}`);
