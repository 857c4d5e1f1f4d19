import { describe, expect, it } from 'vitest';
import { AppendConflictError } from '../errors.js';
import { createRolloutDecider } from '../machine/decider.js';
import { input, testGateEvaluatorFor, testSpec } from '../machine/testing/fixtures.js';
import { MemoryLog } from '../machine/testing/memoryLog.js';
import { s } from '../machine/testing/scenarios.js';
import { APPEND_CONFLICT_RETRIES_MAX, RolloutSession } from './RolloutSession.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
const spec = testSpec();

/** A log where another writer commits a health check just before each of our transactions, `racesLeft` times. */
class RacingLog extends MemoryLog {
  racesLeft = 0;
  override transaction<T>(fn: () => T): T {
    if (this.racesLeft > 0) {
      this.racesLeft--;
      this.append(spec.id, this.nextPosition(spec.id), [input.health(true, s(2))]);
    }
    return super.transaction(fn);
  }
}

describe('RolloutSession (in memory)', () => {
  it('retries after a conflict, on top of what the other writer appended', () => {
    const log = new RacingLog();
    const session = RolloutSession.create(log, spec, s(0), { decider });
    log.racesLeft = APPEND_CONFLICT_RETRIES_MAX;
    session.ingest(input.applied(1, 5, s(3)));
    expect(log.all(spec.id).map((e) => e.type).slice(3)).toEqual([...Array(APPEND_CONFLICT_RETRIES_MAX).fill('health.checked'), 'weight.applied']);
    expect(session.nextPosition).toBe(log.nextPosition(spec.id));
  });

  it('gives up with AppendConflictError when other writers keep winning', () => {
    const log = new RacingLog();
    const session = RolloutSession.create(log, spec, s(0), { decider });
    log.racesLeft = APPEND_CONFLICT_RETRIES_MAX + 1;
    expect(() => session.ingest(input.applied(1, 5, s(3)))).toThrow(AppendConflictError);
  });

  it('refuses a second rollout.created', () => {
    const session = RolloutSession.create(new MemoryLog(), spec, s(0), { decider });
    expect(() => session.ingest(input.created(spec, s(1)))).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROLLOUT_EXISTS' }));
  });

  it('create maps a lost creation race to SLUICE_E_ROLLOUT_EXISTS', () => {
    const log = new RacingLog();
    log.racesLeft = 1;
    expect(() => RolloutSession.create(log, spec, s(0), { decider })).toThrow(expect.objectContaining({ code: 'SLUICE_E_ROLLOUT_EXISTS' }));
  });
});
