import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { EventLog, RolloutSession, SampleRecorder, SCHEMA_VERSION, validateSpec, type NewEvent, type RecordedEvent, type RolloutSpec } from '@sluice/core';

/**
 * Event logs with history for the start-up benchmark: `ended` rollouts that each ran WINDOWS_PER_ROLLOUT judged
 * windows and completed, then `active` rollouts in their first stage. One real rollout is folded through the machine
 * (RolloutSession) and its recorded events are appended again under other ids, so every rollout is a valid one that
 * replays, at the speed of appends.
 */
export const WINDOWS_PER_ROLLOUT = 10;
const WINDOW_MS = 5_000;
const T0 = Date.UTC(2026, 0, 1);
/** Rollouts appended per transaction (one fsync each). */
const ROLLOUTS_PER_COMMIT = 200;

function specOf(id: string): RolloutSpec {
  return validateSpec({
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: WINDOW_MS,
    stages: [
      { name: 'canary', weightPercent: 10, durationMin: '1h', samplesMin: 10, gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 10 }] },
      { name: 'all', weightPercent: 100, durationMin: '1h', gates: [] },
    ],
  });
}

let template: RecordedEvent[] | undefined;

/** The events of one ended rollout, as recorded: windows of ~40 requests, a verdict now and then, promoted and completed. */
function templateRollout(): RecordedEvent[] {
  template ??= foldTemplate();
  return template;
}

function foldTemplate(): RecordedEvent[] {
  const log = EventLog.open(':memory:');
  try {
    const session = RolloutSession.create(log, specOf('template'), T0);
    session.ingest({ type: 'weight.applied', at: T0 + 100, data: { generation: 1, weightPercent: 10 } });
    const recorder = new SampleRecorder();
    recorder.open('template', WINDOW_MS);
    let seed = 7;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let w = 0; w < WINDOWS_PER_ROLLOUT; w++) {
      const start = T0 + (w + 1) * WINDOW_MS;
      for (let i = 0; i < 40; i++) {
        recorder.record('template', { variant: i % 10 === 0 ? 'canary' : 'baseline', at: start + i * 100, ok: random() > 0.01, latencyMs: 20 + 40 * random() });
      }
      for (const { window } of recorder.closeDue(start + WINDOW_MS)) session.ingest({ type: 'samples.window', at: start + WINDOW_MS, data: window });
    }
    const end = T0 + (WINDOWS_PER_ROLLOUT + 2) * WINDOW_MS;
    session.ingest({ type: 'command.issued', at: end, data: { command: 'promoteFull', actor: 'bench' } });
    session.ingest({ type: 'weight.applied', at: end + 100, data: { generation: 2, weightPercent: 100 } });
    if (session.view.phase !== 'completed') throw new Error(`the template rollout ended ${session.view.phase}, not completed`);
    return [...log.readRecorded('template')];
  } finally {
    log.close();
  }
}

/**
 * The file name of a history log for this build: the schema version and a digest of the template rollout's events, so
 * a change of the log's format or of the decisions recorded (another verdict rule) builds a new fixture.
 */
export function historyLogName(ended: number, active: number): string {
  const digest = createHash('sha256').update(JSON.stringify(templateRollout())).digest('hex').slice(0, 12);
  return `history-s${SCHEMA_VERSION}-${digest}-${ended}-${active}.db`;
}

/** Writes (once; later calls reuse the file) a log with `ended` completed rollouts and `active` running ones at `file`. */
export function ensureHistoryLog(file: string, ended: number, active: number): void {
  if (existsSync(file)) return;
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const events = templateRollout();
  const log = EventLog.open(partial, { writer: 'bench history log' });
  try {
    for (let first = 0; first < ended; first += ROLLOUTS_PER_COMMIT) {
      log.transaction(() => {
        for (let i = first; i < Math.min(ended, first + ROLLOUTS_PER_COMMIT); i++) {
          const id = `ended-${i}`;
          const shift = i * 60_000;
          const copy = events.map(({ type, at, data }): NewEvent => ({ type, at: at + shift, data: type === 'rollout.created' ? { spec: specOf(id) } : data }) as NewEvent);
          log.append(id, 0, copy);
        }
      });
    }
    const now = Date.now();
    for (let i = 0; i < active; i++) RolloutSession.create(log, specOf(`active-${i}`), now);
  } finally {
    log.close();
  }
  for (const suffix of ['-wal', '-shm', '.lock']) rmSync(`${partial}${suffix}`, { force: true });
  renameSync(partial, file);
}
