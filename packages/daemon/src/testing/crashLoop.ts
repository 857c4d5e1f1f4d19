import { EventLog, replay, verifyLog, type AnyStoredEvent } from '@sluice/core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonClient } from '../client/DaemonClient.js';
import { IngestJournal } from '../ingest/IngestJournal.js';
import { eventually } from './eventually.js';
import { spawnDaemon, type SpawnedDaemon } from './spawnDaemon.js';

/**
 * The crash and fault loop (issue 11): the real daemon process under load is killed with SIGKILL at random points —
 * while samples are posted, while windows close, while rollouts end, and during its own recovery — and restarted, N
 * times. Rollouts are created along the way; each ends by rollback (a catastrophic batch trips its breaker) or by
 * completion (short stages that pass). At the end it checks, on the file:
 * - every acknowledged sample is in exactly one `samples.window` event of its rollout (none lost, none counted twice);
 * - every rollout ended as it was meant to (rolled back or completed);
 * - `verifyLog` passes and every ingest journal row verifies;
 * - `replay` reproduces every recorded decision of every rollout.
 * CI runs a few cycles (crashLoop.int.test.ts); `scripts/crash-loop.sh` runs the documented 100 (docs/reliability.md).
 */
export interface CrashLoopOptions {
  cycles: number;
  seed: number;
  /** Rollouts running at once (default 3). */
  concurrentRollouts?: number;
  /** Called after each restart with a line of progress. */
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  seed: number;
  cycles: number;
  /** Kills that landed before the restarted daemon was ready (while it started: opening, verifying, recovering). */
  killsDuringRecovery: number;
  /** Of those start-ups killed, how many had not printed their address yet (killed inside Daemon.start). */
  killsBeforeListening: number;
  rollouts: number;
  rolledBack: number;
  completed: number;
  samplesAcknowledged: number;
  samplesInWindows: number;
  /**
   * Samples of batches whose answer was cut by a kill: committed or not, the client cannot know (the API is
   * at-least-once across a lost answer, docs/api.md). They may be in windows; acknowledged ones must be.
   */
  samplesUnanswered: number;
  /** Acknowledged samples missing from the windows (must be 0). */
  samplesLost: number;
  /**
   * Per rollout where acknowledged ≤ windowed ≤ acknowledged + unanswered does not hold: fewer is a loss, more is a
   * sample counted twice.
   */
  mismatches: { rolloutId: string; acknowledged: number; unanswered: number; windowed: number }[];
  unexpectedOutcomes: { rolloutId: string; expected: string; phase: string }[];
  verifyOk: boolean;
  journalOk: boolean;
  replayDivergences: number;
  events: number;
}

const TOKEN = 'crash-loop-token-0123456789abcdef';
const BATCH_SIZE = 50;
const WAIT_MS_MAX = 60_000;

type Fate = 'rollback' | 'complete';

interface Tracked {
  id: string;
  fate: Fate;
  acknowledged: number;
  /** Samples sent in requests that got no answer (the daemon was killed meanwhile). */
  unanswered: number;
  /** Cycle from which a rollback rollout gets catastrophic batches. */
  tripAtCycle: number;
}

/** A seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function specOf(id: string, fate: Fate): string {
  const breaker = { kind: 'errorRate', maxPercent: 20, samplesMin: 20 };
  const stages =
    fate === 'rollback'
      ? [{ name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [breaker] }]
      : [
          { name: 'canary', weightPercent: 20, durationMin: '2s', samplesMin: 20, gates: [breaker] },
          { name: 'rollout', weightPercent: 100, durationMin: '1s', samplesMin: 1, gates: [breaker] },
        ];
  return JSON.stringify({ id, service: 'checkout', baseline: 'v1', candidate: 'v2', window: 200, stages });
}

function batch(next: () => number, errorShare: number): string {
  const lines: string[] = [];
  for (let i = 0; i < BATCH_SIZE; i++) {
    lines.push(JSON.stringify({ variant: i % 2 === 0 ? 'canary' : 'baseline', ok: next() >= errorShare, latencyMs: 5 + Math.floor(next() * 40) }));
  }
  return lines.join('\n');
}

async function allEvents(client: DaemonClient, id: string): Promise<AnyStoredEvent[]> {
  const events: AnyStoredEvent[] = [];
  for (let from = 0; ; ) {
    const { body } = await client.events(id, from, 10_000);
    events.push(...body.events);
    if (body.events.length < 10_000) return events;
    from = body.next;
  }
}

const RUN = fileURLToPath(new URL('../cli/run.ts', import.meta.url));

/** Starts a daemon and SIGKILLs it `afterMs` later, ready or not; true when it had not printed its address yet. */
async function killWhileStarting(args: string[], afterMs: number): Promise<boolean> {
  const child = spawn(process.execPath, ['--conditions=sluice-source', '--import', 'tsx', RUN, 'daemon', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let listening = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    if (chunk.toString('utf8').includes('listening on')) listening = true;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const before = !listening;
  child.kill('SIGKILL');
  await exited;
  return before;
}

/**
 * Posts a batch: the answer, or undefined when it was refused (the rollout ended) or got no answer (connection cut by a
 * kill) — those samples are counted as unanswered: maybe committed, never acknowledged.
 */
async function post(client: DaemonClient, t: Tracked, ndjson: string): Promise<{ body: unknown } | undefined> {
  try {
    return await client.postSamples(t.id, ndjson);
  } catch (error) {
    if ((error as { code?: string }).code === 'SLUICE_E_DAEMON_UNREACHABLE') t.unanswered += BATCH_SIZE;
    return undefined;
  }
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const next = random(options.seed);
  const say = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-loop-'));
  const db = join(dir, 'sluice.db');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const args = ['--db', db, '--token-file', tokenFile, '--tick-ms', '50', '--window-grace-ms', '100', '--window-ms-min', '100', '--log-level', 'error'];
  const tracked = new Map<string, Tracked>();
  const result: CrashLoopResult = {
    seed: options.seed, cycles: 0, killsDuringRecovery: 0, killsBeforeListening: 0, rollouts: 0, rolledBack: 0, completed: 0, samplesAcknowledged: 0, samplesInWindows: 0, samplesUnanswered: 0, samplesLost: 0,
    mismatches: [], unexpectedOutcomes: [], verifyOk: false, journalOk: false, replayDivergences: 0, events: 0,
  };
  let daemon: SpawnedDaemon | undefined;
  let created = 0;
  const ready = async (d: SpawnedDaemon): Promise<void> => {
    await eventually('readiness', async () => ((await fetch(`${d.url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), WAIT_MS_MAX);
  };
  try {
    daemon = await spawnDaemon(args);
    await ready(daemon);
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const client = new DaemonClient({ url: daemon.url, token: TOKEN });
      const active: Tracked[] = [];
      for (const t of tracked.values()) {
        const state = await client.getRollout(t.id).then((answer) => answer.body.rollout.state as { terminal: boolean }, () => ({ terminal: false }));
        if (!state.terminal) active.push(t);
      }
      // Keep a few rollouts running; their fates alternate so both endings happen in every run of a few cycles.
      while (active.length < (options.concurrentRollouts ?? 3)) {
        const fate: Fate = created % 2 === 0 ? 'rollback' : 'complete';
        const id = `r${++created}`;
        const answer = await client.createRollout(specOf(id, fate)).catch(() => undefined);
        if (!answer || answer.status !== 201) break;
        const t: Tracked = { id, fate, acknowledged: 0, unanswered: 0, tripAtCycle: cycle + 1 + Math.floor(next() * 3) };
        tracked.set(id, t);
        active.push(t);
      }
      // Load: every running rollout gets batches until the kill; the kill comes after a random delay.
      const killAfterMs = 100 + Math.floor(next() * 1_200);
      let killed = false;
      const load = Promise.all(
        [...tracked.values()].map(async (t) => {
          while (!killed) {
            // From its trip cycle on, a rollback rollout gets only catastrophic batches (90% errors) until it ends.
            const trip = t.fate === 'rollback' && cycle >= t.tripAtCycle;
            const answer = await post(client, t, batch(next, trip ? 0.9 : 0));
            if (!answer) return; // refused (the rollout ended) or unanswered (the daemon died): not acknowledged
            t.acknowledged += Number((answer.body as { accepted?: number }).accepted ?? 0);
            await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(next() * 30)));
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      await daemon.kill('SIGKILL');
      killed = true;
      await load;
      daemon = await spawnDaemon(args);
      // Now and then the next kill lands while a daemon starts (verifying the log, replaying the journal), before ready.
      if (next() < 0.2) {
        await daemon.kill('SIGKILL');
        result.killsDuringRecovery++;
        if (await killWhileStarting(args, 300 + Math.floor(next() * 2_500))) result.killsBeforeListening++;
        daemon = await spawnDaemon(args);
      }
      await ready(daemon);
      result.cycles = cycle;
      say(`cycle ${cycle}/${options.cycles}: killed after ${killAfterMs} ms; ${tracked.size} rollouts, ${[...tracked.values()].reduce((n, t) => n + t.acknowledged, 0)} samples acknowledged`);
    }
    // The end: trip the rollback rollouts that are still running, let the others complete, and wait for every end.
    const client = new DaemonClient({ url: daemon.url, token: TOKEN });
    for (const t of tracked.values()) {
      // Feed each rollout until it ends: healthy batches for completion, catastrophic ones for a rollback.
      await eventually(`${t.id} to end`, async () => {
        const { body } = await client.getRollout(t.id);
        if ((body.rollout.state as { terminal: boolean }).terminal) return true;
        const answer = await post(client, t, batch(next, t.fate === 'rollback' ? 0.9 : 0));
        if (answer) t.acknowledged += Number((answer.body as { accepted?: number }).accepted ?? 0);
        return undefined;
      }, WAIT_MS_MAX);
    }
    for (const t of tracked.values()) {
      const state = await eventually(`${t.id} to end`, async () => {
        const { body } = await client.getRollout(t.id);
        const s = body.rollout.state as { terminal: boolean; phase: string };
        return s.terminal ? s : undefined;
      }, WAIT_MS_MAX);
      const expected = t.fate === 'rollback' ? 'rolledBack' : 'completed';
      if (state.phase === 'rolledBack') result.rolledBack++;
      if (state.phase === 'completed') result.completed++;
      if (state.phase !== expected) result.unexpectedOutcomes.push({ rolloutId: t.id, expected, phase: state.phase });
    }
    // Every acknowledged sample in exactly one window: the final windows are logged when a rollout ends.
    for (const t of tracked.values()) {
      const windowed = await eventually(`${t.id}'s windows`, async () => {
        const sum = (await allEvents(client, t.id)).reduce((n, e) => (e.type === 'samples.window' ? n + e.data.baseline.count + e.data.canary.count : n), 0);
        return sum >= t.acknowledged ? sum : undefined;
      }, 10_000).catch(async () => (await allEvents(client, t.id)).reduce((n, e) => (e.type === 'samples.window' ? n + e.data.baseline.count + e.data.canary.count : n), 0));
      result.samplesAcknowledged += t.acknowledged;
      result.samplesInWindows += windowed;
      result.samplesUnanswered += t.unanswered;
      result.samplesLost += Math.max(0, t.acknowledged - windowed);
      if (windowed < t.acknowledged || windowed > t.acknowledged + t.unanswered) result.mismatches.push({ rolloutId: t.id, acknowledged: t.acknowledged, unanswered: t.unanswered, windowed });
    }
    result.rollouts = tracked.size;
    await daemon.kill('SIGTERM');
    daemon = undefined;
    const log = EventLog.open(db, { readonly: true });
    try {
      const verified = verifyLog(log);
      result.verifyOk = verified.ok;
      result.events = verified.events;
      for (const t of tracked.values()) result.replayDivergences += replay(log, t.id, { keepDecisions: false }).divergenceCount;
    } finally {
      log.close();
    }
    const journal = IngestJournal.open(db, { readOnly: true });
    try {
      result.journalOk = journal.verify().ok;
    } finally {
      journal.close();
    }
    return result;
  } finally {
    await daemon?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
