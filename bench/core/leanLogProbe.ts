/**
 * The measurements of leanLog.bench.ts, runnable against any checkout of Sluice: `node <tsx> leanLogProbe.ts ROOT
 * MODE FILE` imports ROOT/packages/core/src/index.ts, so the same code measures this build and an earlier one (the
 * previous main, in a worktree) in the same benchmark run. It prints one JSON line.
 *
 * - simulate: writes a default-spec rollout of LEAN_LOG_HOURS at 200 requests/s, healthy canary, to FILE (through a
 *   RolloutSession, as `sluice simulate --db` does) and prints its bytes, events and hours.
 * - replay: replays it once to warm up, then once more, and prints that replay's CPU seconds (as in-process callers
 *   see it after the first).
 * - replay-cold: prints the CPU seconds of the first replay in this process (as `sluice replay` sees it).
 * - replay-warm: replays it REPLAY_WARMUPS times, then prints the CPU seconds of one more (the JIT's code settled, as a
 *   long-lived process that replays often sees it).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const LEAN_LOG_HOURS = 6;
export const LEAN_LOG_ROLLOUT = 'lean-log';
/** Replays before the one measured in replay-warm mode. */
export const REPLAY_WARMUPS = 4;

export interface CoreApi {
  EventLog: { open(file: string, options?: { readonly?: boolean }): ProbeLog };
  validateSpec(input: unknown): { id: string };
  parseTrafficModel(input: unknown): unknown;
  runSimulation(spec: unknown, model: unknown, options: { driver: (spec: unknown, at: number) => unknown }): unknown;
  sessionDriver(log: ProbeLog, spec: unknown, at: number): unknown;
  replay(log: ProbeLog, rolloutId: string, options: { keepDecisions: boolean }): { reproduced: boolean };
}

export interface ProbeLog {
  transaction<T>(fn: () => T): T;
  listRollouts(): { rolloutId: string; events: number; firstAt: number; lastAt: number }[];
  close(): void;
}

export async function loadCore(root: string): Promise<CoreApi> {
  return (await import(pathToFileURL(join(root, 'packages', 'core', 'src', 'index.ts')).href)) as CoreApi;
}

export interface SimulatedLog {
  bytes: number;
  events: number;
  hours: number;
}

/** Simulates the benchmark's rollout into `file` (which must not exist) with `core`. */
export function simulateLeanLog(core: CoreApi, file: string): SimulatedLog {
  const log = core.EventLog.open(file);
  const spec = core.validateSpec({ id: LEAN_LOG_ROLLOUT, service: 'checkout', baseline: 'v1', candidate: 'v2' });
  const arm = { errorRate: 0.001, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } };
  const model = core.parseTrafficModel({ seed: 1, durationMs: LEAN_LOG_HOURS * 3_600_000, requestsPerSecond: 200, baseline: arm, canary: arm });
  // One transaction: one fsync instead of one per window, to keep the setup short; the bytes are the same.
  log.transaction(() => core.runSimulation(spec, model, { driver: (s, at) => core.sessionDriver(log, s, at) }));
  const [rollout] = log.listRollouts();
  // Closing checkpoints the WAL into the file, so its size is the log's.
  log.close();
  if (!rollout) throw new Error('the simulation wrote no rollout');
  return { bytes: statSync(file).size, events: rollout.events, hours: (rollout.lastAt - rollout.firstAt) / 3_600_000 };
}

/** CPU seconds of one replay of the benchmark's rollout (every decision compared, only outcomes kept). */
export function replayCpuSeconds(core: CoreApi, log: ProbeLog): number {
  const start = process.cpuUsage();
  const result = core.replay(log, LEAN_LOG_ROLLOUT, { keepDecisions: false });
  const used = process.cpuUsage(start);
  if (!result.reproduced) throw new Error('replay did not reproduce the log');
  return (used.user + used.system) / 1e6;
}

async function main(): Promise<void> {
  const [root, mode, file] = process.argv.slice(2);
  if (!root || !mode || !file) throw new Error('usage: leanLogProbe.ts ROOT simulate|replay|replay-cold|replay-warm FILE');
  const core = await loadCore(root);
  if (mode === 'simulate') {
    process.stdout.write(`${JSON.stringify(simulateLeanLog(core, file))}\n`);
    return;
  }
  const log = core.EventLog.open(file, { readonly: true });
  try {
    if (mode === 'replay') replayCpuSeconds(core, log);
    else if (mode === 'replay-warm') for (let i = 0; i < REPLAY_WARMUPS; i++) replayCpuSeconds(core, log);
    else if (mode !== 'replay-cold') throw new Error(`unknown mode ${mode}`);
    process.stdout.write(`${JSON.stringify({ seconds: replayCpuSeconds(core, log) })}\n`);
  } finally {
    log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
