import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSluiceError } from '../errors.js';
import { EventLog } from '../log/EventLog.js';
import { temporaryDirectory } from '../log/testing.js';
import { verifyLog } from '../log/verify.js';
import { createRolloutDecider } from '../machine/decider.js';
import { input, testGateEvaluatorFor, testSpec } from '../machine/testing/fixtures.js';
import { healthyWindows, s } from '../machine/testing/scenarios.js';
import { replay } from '../replay/replay.js';
import { RolloutSession } from './RolloutSession.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
const spec = testSpec();
let dir: ReturnType<typeof temporaryDirectory>;
let log: EventLog;

beforeEach(() => {
  dir = temporaryDirectory('sluice-session-');
  log = EventLog.open(dir.file());
});
afterEach(() => {
  log.close();
  dir.cleanup();
});

describe('RolloutSession over a real SQLite log', () => {
  it('create appends rollout.created and the first decisions', () => {
    const session = RolloutSession.create(log, spec, s(0), { decider });
    expect([...log.read(spec.id)].map((e) => [e.position, e.type])).toEqual([
      [0, 'rollout.created'],
      [1, 'stage.entered'],
      [2, 'weight.desired'],
    ]);
    expect(session.nextPosition).toBe(3);
    expect(session.view).toMatchObject({ rolloutId: spec.id, phase: 'progressing', desiredWeightPercent: 5, desiredGeneration: 1 });
  });

  it('refuses an id that exists with SLUICE_E_ROLLOUT_EXISTS', () => {
    RolloutSession.create(log, spec, s(0), { decider });
    let caught: unknown;
    try {
      RolloutSession.create(log, spec, s(1), { decider });
    } catch (error) {
      caught = error;
    }
    expect(isSluiceError(caught) && caught.code).toBe('SLUICE_E_ROLLOUT_EXISTS');
  });

  it('ingest appends the input and its decisions together and returns the stored decisions', () => {
    const session = RolloutSession.create(log, spec, s(0), { decider });
    expect(session.ingest(input.applied(1, 5, s(1)))).toEqual([]);
    const stored = session.ingest(input.window(s(6), 10, 9));
    expect(stored.map((e) => [e.position, e.type])).toEqual([
      [5, 'gate.evaluated'],
      [6, 'rollback.started'],
      [7, 'weight.desired'],
    ]);
    expect([...log.read(spec.id, 4)][0]).toMatchObject({ position: 4, type: 'samples.window' });
    expect(session.view.phase).toBe('rollingBack');
  });

  it('stores a tick only when it decided something', () => {
    const session = RolloutSession.create(log, spec, s(0), { decider });
    session.ingest(input.applied(1, 5, s(1)));
    expect(session.ingest(input.tick(s(30)))).toEqual([]);
    expect(log.nextPosition(spec.id)).toBe(4);
    expect(session.ingest(input.tick(s(301))).map((e) => e.type)).toEqual(['stage.held']);
    expect([...log.read(spec.id, 4)].map((e) => e.type)).toEqual(['tick', 'stage.held']);
  });

  it('load rebuilds the state from the stored inputs and continues where the log ends (crash recovery)', () => {
    const session = RolloutSession.create(log, spec, s(0), { decider });
    for (const event of [input.applied(1, 5, s(1)), ...healthyWindows(6, 61)]) session.ingest(event);
    log.close();
    log = EventLog.open(dir.file());
    const loaded = RolloutSession.load(log, spec.id, { decider });
    expect(loaded.view).toEqual(session.view);
    expect(loaded.nextPosition).toBe(session.nextPosition);
    expect(loaded.ingest(input.applied(2, 50, s(62)))).toEqual([]);
    expect(loaded.view.stageWeightAppliedAt).toBe(s(62));
  });

  it('load of an unknown id is SLUICE_E_ROLLOUT_NOT_FOUND', () => {
    expect(() => RolloutSession.load(log, 'nope', { decider })).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROLLOUT_NOT_FOUND' }));
  });

  it('a stale session catches up with what another writer appended, then appends after it', () => {
    const first = RolloutSession.create(log, spec, s(0), { decider });
    const second = RolloutSession.load(log, spec.id, { decider });
    first.ingest(input.applied(1, 5, s(1)));
    const stored = second.ingest(input.window(s(6), 10, 9));
    expect(stored.map((e) => e.type)).toEqual(['gate.evaluated', 'rollback.started', 'weight.desired']);
    expect(second.view).toMatchObject({ phase: 'rollingBack', stageWeightAppliedAt: s(1) });
    expect(RolloutSession.load(log, spec.id, { decider }).view).toEqual(second.view);
  });

  it('an append that fails leaves the session state as it was', () => {
    const session = RolloutSession.create(log, spec, s(0), { decider });
    const before = session.state;
    expect(() => session.ingest(input.metric('p99', Number.NaN, s(2)))).toThrow();
    expect(session.state).toBe(before);
    expect(session.nextPosition).toBe(log.nextPosition(spec.id));
  });

  it('a whole rollout with the judge registry: the chain verifies and replay reproduces every decision', () => {
    const session = RolloutSession.create(log, spec, s(0));
    session.ingest(input.applied(1, 5, s(1)));
    for (const event of healthyWindows(6, 61, 40)) session.ingest(event);
    session.ingest(input.applied(2, 50, s(62)));
    for (const event of healthyWindows(67, 122, 40)) session.ingest(event);
    session.ingest(input.applied(3, 100, s(123)));
    for (const event of healthyWindows(128, 183, 40)) session.ingest(event);
    expect(session.view).toMatchObject({ phase: 'completed', outcome: 'completed' });
    expect(verifyLog(log).ok).toBe(true);
    const result = replay(log, spec.id);
    expect(result).toMatchObject({ reproduced: true, divergenceCount: 0, recomputedOutcome: { outcome: 'completed' } });
  });
});
